package io.tinyfed.simulators.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Images with class labels, as the loaders read them: pixels scaled to [0, 1] (or features such as a log-mel
 * spectrogram, frames x bands), row-major, one array per image. {@code groups} says who produced each image (a writer,
 * a speaker; all 0 when the data set does not say). {@code source} says where they came from (for messages and the
 * results' provenance).
 */
public record LabelledImages(String source, int width, int height, List<float[]> pixels, int[] labels, int classes,
                             int[] groups) {
    public LabelledImages {
        if (pixels.size() != labels.length || groups.length != labels.length) {
            throw new IllegalArgumentException(source + ": " + pixels.size() + " images, " + labels.length + " labels, "
                    + groups.length + " group ids");
        }
        pixels = List.copyOf(pixels);
        labels = labels.clone();
        groups = groups.clone();
    }

    /** Images without group ids (every image in group 0). */
    public LabelledImages(String source, int width, int height, List<float[]> pixels, int[] labels, int classes) {
        this(source, width, height, pixels, labels, classes, new int[labels.length]);
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    @Override
    public int[] groups() {
        return groups.clone();
    }

    public int group(int i) {
        return groups[i];
    }

    /** The images of the groups {@code keep} accepts, as their own set. */
    public LabelledImages groups(java.util.function.IntPredicate keep) {
        List<float[]> p = new ArrayList<>();
        List<Integer> l = new ArrayList<>();
        List<Integer> g = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            if (keep.test(groups[i])) {
                p.add(pixels.get(i));
                l.add(labels[i]);
                g.add(groups[i]);
            }
        }
        return new LabelledImages(source, width, height, p, l.stream().mapToInt(Integer::intValue).toArray(), classes,
                g.stream().mapToInt(Integer::intValue).toArray());
    }

    public int size() {
        return labels.length;
    }

    public int label(int i) {
        return labels[i];
    }

    /** Images {@code [from, to)} as their own set. */
    public LabelledImages range(int from, int to) {
        int[] l = new int[to - from];
        System.arraycopy(labels, from, l, 0, l.length);
        int[] g = new int[to - from];
        System.arraycopy(groups, from, g, 0, g.length);
        return new LabelledImages(source + "[" + from + ".." + to + ")", width, height, pixels.subList(from, to), l, classes,
                g);
    }

    /**
     * Averages {@code factor x factor} blocks (e.g. 28x28 to 14x14 with factor 2): inputs a microcontroller's
     * RAM can hold. Width and height must be multiples of {@code factor}.
     */
    public LabelledImages downsample(int factor) {
        if (factor < 1 || width % factor != 0 || height % factor != 0) {
            throw new IllegalArgumentException("cannot downsample " + width + "x" + height + " by " + factor);
        }
        int w = width / factor;
        int h = height / factor;
        List<float[]> out = new ArrayList<>(pixels.size());
        for (float[] p : pixels) {
            float[] d = new float[w * h];
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    d[(y / factor) * w + x / factor] += p[y * width + x] / (factor * factor);
                }
            }
            out.add(d);
        }
        return new LabelledImages(source + " (" + w + "x" + h + ")", w, h, out, labels, classes, groups);
    }
}
