package io.tinyfed.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What the machine an agent runs on has, for profiles that say {@code auto}: read from Linux's
 * {@code /proc} and {@code /sys}, with the JVM's view where those are missing.
 */
final class HostMachine {
    private static final Path MEMINFO = Path.of("/proc/meminfo");
    private static final Path CPUINFO = Path.of("/proc/cpuinfo");
    private static final Path MAX_FREQ = Path.of("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");

    private HostMachine() {
    }

    /** Physical RAM: {@code MemTotal} of /proc/meminfo, else the most the JVM may use. */
    static long ramBytes() {
        for (String line : lines(MEMINFO)) {
            if (line.startsWith("MemTotal:")) {
                Long kib = firstNumber(line);
                if (kib != null) {
                    return kib * 1024;
                }
            }
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** Size of the file system holding the agent's working directory (its model and state storage). */
    static long storageBytes() {
        try {
            return Files.getFileStore(Path.of("").toAbsolutePath()).getTotalSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    /** The CPU architecture in the names Linux uses ({@code x86_64}, {@code aarch64}, {@code armv7l}, ...). */
    static String cpu() {
        return architecture(System.getProperty("os.arch", "unknown"));
    }

    static String architecture(String osArch) {
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86_64";
            case "x86", "i386", "i686" -> "i686";
            case "arm64", "aarch64" -> "aarch64";
            case "arm" -> "armv7l";
            default -> osArch;
        };
    }

    /** Highest clock of the first CPU in MHz (cpufreq, else /proc/cpuinfo), 0 when the machine does not say. */
    static int clockMhz() {
        for (String line : lines(MAX_FREQ)) {
            Long khz = firstNumber(line);
            if (khz != null) {
                return (int) (khz / 1000);
            }
        }
        for (String line : lines(CPUINFO)) {
            if (line.startsWith("cpu MHz")) {
                String value = line.substring(line.indexOf(':') + 1).strip();
                try {
                    return (int) Math.round(Double.parseDouble(value));
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException | SecurityException e) {
            return List.of();
        }
    }

    private static Long firstNumber(String line) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\d+").matcher(line);
        return m.find() ? Long.parseLong(m.group()) : null;
    }
}
