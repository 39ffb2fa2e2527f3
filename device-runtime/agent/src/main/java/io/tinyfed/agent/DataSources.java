package io.tinyfed.agent;

import io.tinyfed.core.Sample;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Parses the agent's {@code --data} specification:
 * <ul>
 *   <li>{@code sine:AMPLITUDE,PHASE[,SEED]}: endless samples of {@code a sin(x + phase)}, x uniform
 *       in [-5, 5] (the sine task family), seeded;</li>
 *   <li>{@code csv:PATH:INPUTS}: comma-separated lines, the first INPUTS values are the input, the
 *       rest the target; {@code #} lines are comments; read once;</li>
 *   <li>{@code stdin:INPUTS}: the same line format from standard input.</li>
 * </ul>
 * Lines that do not parse, have the wrong field count or non-finite values are skipped and counted.
 */
public final class DataSources {
    private DataSources() {
    }

    public static DataSource parse(String spec) throws IOException {
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? spec : spec.substring(0, colon);
        String rest = colon < 0 ? "" : spec.substring(colon + 1);
        switch (kind) {
            case "sine" -> {
                String[] p = rest.split(",");
                if (p.length < 2 || p.length > 3) {
                    throw new IllegalArgumentException("expected sine:AMPLITUDE,PHASE[,SEED], got '" + spec + "'");
                }
                try {
                    return sine(Double.parseDouble(p[0]), Double.parseDouble(p[1]), p.length == 3 ? Long.parseLong(p[2]) : 0);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("expected sine:AMPLITUDE,PHASE[,SEED] with numbers, got '" + spec + "'");
                }
            }
            case "csv" -> {
                int last = rest.lastIndexOf(':');
                if (last < 0) {
                    throw new IllegalArgumentException("expected csv:PATH:INPUTS, got '" + spec + "'");
                }
                Path path = Path.of(rest.substring(0, last));
                int inputs = Integer.parseInt(rest.substring(last + 1));
                check(path, inputs);
                return lines(Files.newBufferedReader(path, StandardCharsets.UTF_8), inputs);
            }
            case "stdin" -> {
                return lines(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
                        Integer.parseInt(rest));
            }
            default -> throw new IllegalArgumentException("unknown data source '" + kind + "' (sine, csv, stdin)");
        }
    }

    /**
     * Reads a CSV once before the agent starts, so that a file it cannot learn from is refused with what is wrong
     * (instead of an agent that stays eligible and has nothing to train on).
     *
     * @throws IllegalArgumentException if no line parses as a sample: how many lines were read, and the first one
     */
    static void check(Path path, int inputs) throws IOException {
        if (!Files.isReadable(path)) {
            throw new IllegalArgumentException("csv:" + path + ": not a readable file");
        }
        long lines = 0;
        String first = null;
        try (DataSource probe = lines(Files.newBufferedReader(path, StandardCharsets.UTF_8), inputs)) {
            if (probe.next().isPresent()) {
                return;
            }
            lines = probe.rejected();
        }
        try (BufferedReader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank() && !line.strip().startsWith("#")) {
                    first = line.strip();
                    break;
                }
            }
        }
        throw new IllegalArgumentException("csv:" + path + ": 0 of " + lines + " lines parsed" + (first == null ? ""
                : " (the first is '" + (first.length() > 60 ? first.substring(0, 60) + "..." : first) + "')")
                + "; each line needs " + inputs + " input value(s) and at least one target, comma-separated, all finite");
    }

    public static DataSource sine(double amplitude, double phase, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return () -> {
            float x = (float) (random.nextDouble() * 10 - 5);
            return Optional.of(new Sample(new float[] {x}, new float[] {(float) (amplitude * Math.sin(x + phase))}));
        };
    }

    static DataSource lines(BufferedReader reader, int inputs) {
        if (inputs < 1) {
            throw new IllegalArgumentException("INPUTS must be >= 1, got " + inputs);
        }
        return new DataSource() {
            private long rejected;
            private int width = -1;

            @Override
            public Optional<Sample> next() {
                try {
                    String line;
                    while ((line = reader.readLine()) != null) {
                        line = line.strip();
                        if (line.isEmpty() || line.startsWith("#")) {
                            continue;
                        }
                        Sample s = parseLine(line);
                        if (s != null) {
                            return Optional.of(s);
                        }
                        rejected++;
                    }
                    return Optional.empty();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            private Sample parseLine(String line) {
                String[] f = line.split(",");
                if (f.length <= inputs || (width >= 0 && f.length != width)) {
                    return null;
                }
                float[] values = new float[f.length];
                try {
                    for (int i = 0; i < f.length; i++) {
                        values[i] = Float.parseFloat(f[i].strip());
                        if (!Float.isFinite(values[i])) {
                            return null;
                        }
                    }
                } catch (NumberFormatException e) {
                    return null;
                }
                width = f.length;
                float[] x = java.util.Arrays.copyOfRange(values, 0, inputs);
                float[] y = java.util.Arrays.copyOfRange(values, inputs, values.length);
                return new Sample(x, y);
            }

            @Override
            public long rejected() {
                return rejected;
            }

            @Override
            public void close() {
                try {
                    reader.close();
                } catch (IOException ignored) {
                    // closing a finished source: nothing to recover
                }
            }
        };
    }
}
