package io.tinyfed.firmware;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the host C compiler, programs it built, and the Arm cross toolchain; failures carry stderr. */
public final class Toolchain {
    private Toolchain() {
    }

    /** Runs {@code command} in {@code cwd} with {@code stdin}; returns stdout or throws with the exit code and stderr. */
    public static String run(Path cwd, String stdin, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).start();
        Thread feeder = new Thread(() -> {
            try (var out = p.getOutputStream()) {
                if (stdin != null) {
                    out.write(stdin.getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException ignored) {
                // the process exited early; its exit code says why
            }
        });
        feeder.start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " timed out");
        }
        feeder.join();
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + err);
        }
        return new String(out, StandardCharsets.US_ASCII);
    }

    /**
     * How the C runtime is built for the host: its reference kernels at {@code -O2} (what every host build gets
     * by default), or its vector kernels ({@code TF_VECTOR_KERNELS}) at {@code -O3} for this machine's CPU; on
     * x86-64 preferring 256-bit vectors, as gcc's own tuning does for most AVX-512 CPUs (the rows of the
     * reference models, 40 and 32 weights, leave scalar remainders with 512-bit vectors).
     */
    public enum HostBuild {
        REFERENCE("reference", List.of("-O2")),
        VECTOR("vector", vectorFlags());

        private final String label;
        private final List<String> flags;

        HostBuild(String label, List<String> flags) {
            this.label = label;
            this.flags = flags;
        }

        /** The {@code kernel} label of the benchmark metrics. */
        public String label() {
            return label;
        }

        public List<String> flags() {
            return flags;
        }

        private static List<String> vectorFlags() {
            String arch = System.getProperty("os.arch", "");
            return arch.equals("amd64") || arch.equals("x86_64")
                    ? List.of("-O3", "-march=native", "-mprefer-vector-width=256", "-DTF_VECTOR_KERNELS")
                    : List.of("-O3", "-march=native", "-DTF_VECTOR_KERNELS");
        }
    }

    /** Compiles C sources in {@code dir} into {@code exe} with the host gcc (reference build), warnings as errors. */
    public static Path gcc(Path dir, String exe, String... sources) throws IOException, InterruptedException {
        return gcc(dir, HostBuild.REFERENCE, exe, sources);
    }

    /** Compiles C sources in {@code dir} into {@code exe} with the host gcc as {@code build} says, warnings as errors. */
    public static Path gcc(Path dir, HostBuild build, String exe, String... sources) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("gcc", "-std=c99"));
        cmd.addAll(build.flags());
        cmd.addAll(List.of("-Wall", "-Wextra", "-Werror", "-pedantic", "-o", exe));
        cmd.addAll(List.of(sources));
        cmd.add("-lm");
        run(dir, null, cmd);
        return dir.resolve(exe);
    }

    /**
     * Installs the Debian {@code packages} with apt-get when {@code probe} does not run (as root only); otherwise fails
     * with the command that installs them.
     */
    public static void ensureInstalled(List<String> probe, String packages) throws IOException, InterruptedException {
        if (runs(probe)) {
            return;
        }
        String install = "apt-get install -y " + packages;
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IOException(probe.get(0) + " is missing; install it with: sudo " + install);
        }
        System.err.println(probe.get(0) + " missing: " + install);
        run(Path.of("."), null, List.of("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive " + install));
        if (!runs(probe)) {
            throw new IOException(probe.get(0) + " still missing after: " + install);
        }
    }

    /** Whether {@code probe} runs and exits 0. */
    public static boolean runs(List<String> probe) {
        try {
            run(Path.of("."), null, probe);
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The device loop's sources, whatever it runs on (a host process or a firmware image adds its platform). */
    public static final List<String> DEVICE_LOOP = List.of("mcu_loop.c", "mcu_loop.h", "mcu_platform.h");

    /** Copies the device loop and {@code platform} (its main and its line: virtual_mcu.c, firmware_mps2.c ...). */
    public static void copyDeviceLoop(Path dir, String... platform) throws IOException {
        for (String f : DEVICE_LOOP) {
            copyResource(f, dir);
        }
        for (String f : platform) {
            copyResource(f, dir);
        }
    }

    /** Copies a harness or example C file shipped with the bridge into {@code dir}. */
    static void copyResource(String name, Path dir) throws IOException {
        try (var in = Toolchain.class.getResourceAsStream("c/" + name)) {
            if (in == null) {
                throw new IllegalStateException("C file " + name + " missing from the classpath");
            }
            Files.write(dir.resolve(name), in.readAllBytes());
        }
    }
}
