package io.tinyfed.simulators.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Images in CSV, one per line: {@code width * height} pixel values then the class label, comma-separated, no
 * header (the layout of the UCI optical digits as scikit-learn ships them, {@code digits.csv.gz}). Files ending in
 * {@code .gz} are gunzipped. Pixels are divided by {@code maxValue}; a pixel outside [0, maxValue], a label that is
 * not an integer in [0, classes), or a line with the wrong number of fields is refused with file and line.
 */
public final class ImageCsv {
    private ImageCsv() {
    }

    public static LabelledImages read(Path file, int width, int height, float maxValue, int classes) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), width, height, maxValue, classes);
        }
    }

    public static LabelledImages read(InputStream raw, String name, int width, int height, float maxValue, int classes)
            throws IOException {
        InputStream in = name.endsWith(".gz") ? new GZIPInputStream(raw) : raw;
        int fields = width * height + 1;
        List<float[]> pixels = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
        String line;
        int lineNo = 0;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",", -1);
            if (f.length != fields) {
                throw new DatasetFormatException(name + " line " + lineNo + ": " + f.length + " fields, expected " + fields
                        + " (" + width + "x" + height + " pixels and a label)");
            }
            float[] x = new float[fields - 1];
            for (int i = 0; i < x.length; i++) {
                float v = number(f[i], name, lineNo, i + 1);
                if (!(v >= 0 && v <= maxValue)) {
                    throw new DatasetFormatException(name + " line " + lineNo + " field " + (i + 1) + ": pixel " + f[i]
                            + " outside [0, " + maxValue + "]");
                }
                x[i] = v / maxValue;
            }
            float label = number(f[fields - 1], name, lineNo, fields);
            if (label != Math.rint(label) || label < 0 || label >= classes) {
                throw new DatasetFormatException(name + " line " + lineNo + ": label " + f[fields - 1]
                        + " is not an integer in [0, " + classes + ")");
            }
            pixels.add(x);
            labels.add((int) label);
        }
        if (pixels.isEmpty()) {
            throw new DatasetFormatException(name + ": no images");
        }
        return new LabelledImages(name, width, height, pixels, labels.stream().mapToInt(Integer::intValue).toArray(), classes);
    }

    private static float number(String s, String name, int line, int field) throws DatasetFormatException {
        try {
            return Float.parseFloat(s.trim());
        } catch (NumberFormatException e) {
            throw new DatasetFormatException(name + " line " + line + " field " + field + ": '" + s + "' is not a number");
        }
    }
}
