package io.tinyfed.agent;

import io.tinyfed.core.ArenaPlan;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Loss;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.protocol.DeviceHello;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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

    /**
     * The hello of device {@code deviceId} of {@code fleet} with this hardware, running {@code runtimeVersion}, attached
     * via {@code gatewayId} (null: directly), keeping {@code sampleCapacity} samples (0: not said).
     */
    public DeviceHello hello(String deviceId, String fleet, String runtimeVersion, String gatewayId, int sampleCapacity) {
        return new DeviceHello(deviceId, fleet, ramBytes, flashBytes, cpu, clockMhz, formatSet(), sensors, runtimeVersion,
                firmwareVersion, gatewayId, sampleCapacity);
    }

    /**
     * How this device trains {@code model}: all layers if that training arena fits {@code ramBytes}, else only
     * the last layer, else not at all (empty). Softmax outputs train with cross-entropy, others with MSE.
     */
    public Optional<TrainingConfig> trainingConfig(Model model, float lr, int accumulation, long seed) {
        Layer last = model.architecture().layer(model.architecture().size() - 1);
        Loss loss = last instanceof Layer.Activation a && a.kind() == Layer.Kind.SOFTMAX
                ? Loss.SOFTMAX_CROSS_ENTROPY : Loss.MSE;
        TrainingConfig.Builder b = TrainingConfig.builder().loss(loss).learningRate(lr)
                .accumulationSteps(accumulation).seed(seed).arenaBudgetBytes(ramBytes);
        for (int layers : new int[] {TrainingConfig.ALL_LAYERS, 1}) {
            TrainingConfig c = b.trainableLayers(layers).build();
            if (ArenaPlan.of(model.architecture(), model.format(), c).totalBytes() <= ramBytes) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** A profile value read from the machine the agent runs on ({@link HostMachine}). */
    static final String AUTO = "auto";

    /** This profile with {@code sensors} instead of the ones it lists. */
    public HardwareProfile withSensors(List<String> sensors) {
        return new HardwareProfile(name, ramBytes, flashBytes, cpu, clockMhz, formats, sensors, firmwareVersion);
    }

    private static String required(Properties p, String key) {
        String value = p.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + " is missing");
        }
        return value.strip();
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
            String ram = required(p, "ram.bytes");
            String flash = p.getProperty("flash.bytes", "0").strip();
            String cpu = p.getProperty("cpu", "unknown").strip();
            String clock = p.getProperty("clock.mhz", "0").strip();
            return new HardwareProfile(p.getProperty("name", source),
                    ram.equals(AUTO) ? HostMachine.ramBytes() : Long.parseLong(ram),
                    flash.equals(AUTO) ? HostMachine.storageBytes() : Long.parseLong(flash),
                    cpu.equals(AUTO) ? HostMachine.cpu() : cpu,
                    clock.equals(AUTO) ? HostMachine.clockMhz() : Integer.parseInt(clock), formats, sensors,
                    p.getProperty("firmware.version", ""));
        } catch (RuntimeException e) {
            throw new IOException("profile " + source + " is invalid: " + e.getMessage(), e);
        }
    }
}
