package io.tinyfed.bench;

import io.tinyfed.core.Sample;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The UCI optical handwritten digits (1,797 8x8 images), bundled as {@code datasets/digits.csv.gz}
 * (see the README next to it for provenance and license). Pixels 0..16 are scaled to [0, 1];
 * targets are one-hot over 10 classes.
 */
public final class UciDigits {
    public static final int SAMPLES = 1797;
    private static List<Sample> cache;

    private UciDigits() {
    }

    /** All samples in file order. */
    public static synchronized List<Sample> load() {
        if (cache == null) {
            cache = Collections.unmodifiableList(read());
        }
        return cache;
    }

    private static List<Sample> read() {
        InputStream raw = UciDigits.class.getResourceAsStream("/datasets/digits.csv.gz");
        if (raw == null) {
            throw new IllegalStateException("datasets/digits.csv.gz is missing from the classpath");
        }
        List<Sample> out = new ArrayList<>(SAMPLES);
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.US_ASCII))) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                String[] f = line.split(",");
                if (f.length != 65) {
                    throw new IllegalStateException("digits line " + lineNo + " has " + f.length + " fields, expected 65");
                }
                float[] x = new float[64];
                for (int i = 0; i < 64; i++) {
                    x[i] = Float.parseFloat(f[i]) / 16f;
                }
                float[] y = new float[10];
                y[(int) Float.parseFloat(f[64])] = 1f;
                out.add(new Sample(x, y));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.size() != SAMPLES) {
            throw new IllegalStateException("expected " + SAMPLES + " digits, read " + out.size());
        }
        return out;
    }
}
