package io.tinyfed.agent;

import io.tinyfed.core.NumberFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;

/**
 * The hardware a device claims in its hello and respects when it trains: the arena must fit in
 * {@code ramBytes}; formats it can compute in, in order of preference.
 */
public record HardwareProfile(String name, long ramBytes, long flashBytes, String cpu, int clockMhz,
                              List<NumberFormat> formats, List<String> sensors, String firmwareVersion) {
    public HardwareProfile {
        formats = List.copyOf(formats);
        sensors = List.copyOf(sensors);
        if (formats.isEmpty()) {
            throw new IllegalArgumentException("profile " + name + " lists no number format");
        }
    }

    /** The format this device trains in: its first preference. */
    public NumberFormat trainingFormat() {
        return formats.get(0);
    }

    public Set<NumberFormat> formatSet() {
        return EnumSet.copyOf(formats);
    }

    /** A built-in profile ({@code cortex-m4}, {@code cortex-m0}, {@code gateway}) or a properties file. */
    public static HardwareProfile load(String nameOrPath) throws IOException {
        InputStream builtIn = HardwareProfile.class.getResourceAsStream("/profiles/" + nameOrPath + ".properties");
        Properties p = new Properties();
        if (builtIn != null) {
            try (InputStream in = builtIn) {
                p.load(in);
            }
        } else {
            Path file = Path.of(nameOrPath);
            if (!Files.isRegularFile(file)) {
                throw new IOException("no built-in profile '" + nameOrPath + "' (cortex-m4, cortex-m0, gateway) and no such file");
            }
            try (Reader in = Files.newBufferedReader(file)) {
                p.load(in);
            }
        }
        return fromProperties(p, nameOrPath);
    }

    static HardwareProfile fromProperties(Properties p, String source) throws IOException {
        try {
            List<NumberFormat> formats = new ArrayList<>();
            for (String f : p.getProperty("formats", "").split(",")) {
                if (!f.isBlank()) {
                    formats.add(NumberFormat.valueOf(f.strip().toUpperCase(Locale.ROOT)));
                }
            }
            List<String> sensors = new ArrayList<>();
            for (String s : p.getProperty("sensors", "").split(",")) {
                if (!s.isBlank()) {
                    sensors.add(s.strip());
                }
            }
            return new HardwareProfile(p.getProperty("name", source), Long.parseLong(p.getProperty("ram.bytes")),
                    Long.parseLong(p.getProperty("flash.bytes", "0")), p.getProperty("cpu", "unknown"),
                    Integer.parseInt(p.getProperty("clock.mhz", "0")), formats, sensors,
                    p.getProperty("firmware.version", ""));
        } catch (RuntimeException e) {
            throw new IOException("profile " + source + " is invalid: " + e.getMessage(), e);
        }
    }
}
