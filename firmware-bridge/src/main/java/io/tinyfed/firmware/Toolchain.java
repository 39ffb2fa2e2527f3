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

    /** Compiles C sources in {@code dir} into {@code exe} with the host gcc, warnings as errors. */
    public static Path gcc(Path dir, String exe, String... sources) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                "-pedantic", "-o", exe));
        cmd.addAll(List.of(sources));
        cmd.add("-lm");
        run(dir, null, cmd);
        return dir.resolve(exe);
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
