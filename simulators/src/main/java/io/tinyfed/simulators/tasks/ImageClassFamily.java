package io.tinyfed.simulators.tasks;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Sample;
import io.tinyfed.simulators.data.ImageCsv;
import io.tinyfed.simulators.data.Idx;
import io.tinyfed.simulators.data.LabelledImages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * N-way K-shot image classification episodes, the handwritten-character family of meta-learning (Omniglot style) on
 * real images: each device recognises {@code ways} classes of its own choosing, in its own label order (its output
 * slot 0 may be the digit 7, another device's slot 0 the digit 2), so no single classifier serves every device and
 * a new device must adapt. Training devices draw images from the training split, new devices from the held-out
 * split. Drift: half of a device's classes are replaced by others in the same output slots (its user starts writing
 * different characters).
 *
 * <p>Data: the UCI optical handwritten digits (8x8, bundled, first 70% of the file for training devices, last 30%
 * held out; the file carries no writer ids, so devices differ by classes, label order and images, not by writer),
 * or Fashion-MNIST from its IDX files (train for training devices, t10k held out), 2x2-averaged to 14x14 so the
 * input fits a microcontroller.
 */
public final class ImageClassFamily implements TaskFamily {
    /** Where Debian's {@code dataset-fashion-mnist} package puts the IDX files. */
    public static final Path FASHION_MNIST_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    private final String name;
    private final Architecture architecture;
    private final Protocol protocol;
    private final int ways;
    private final Split train;
    private final Split heldOut;

    /** One split's image indices per class. */
    record Split(LabelledImages images, int[][] byClass) {
        static Split of(LabelledImages images) {
            int[] counts = new int[images.classes()];
            for (int i = 0; i < images.size(); i++) {
                counts[images.label(i)]++;
            }
            int[][] by = new int[images.classes()][];
            for (int c = 0; c < by.length; c++) {
                by[c] = new int[counts[c]];
                counts[c] = 0;
            }
            for (int i = 0; i < images.size(); i++) {
                int c = images.label(i);
                by[c][counts[c]++] = i;
            }
            return new Split(images, by);
        }
    }

    /**
     * @param ways   classes per device ({@code 2..classes})
     * @param shots  support images per class for a new device
     * @param hidden units of the one hidden ReLU layer
     */
    public ImageClassFamily(String name, LabelledImages train, LabelledImages heldOut, int ways, int shots, int steps,
                            float learningRate, int hidden) {
        if (ways < 2 || ways > train.classes()) {
            throw new IllegalArgumentException("ways must be in [2, " + train.classes() + "], got " + ways);
        }
        this.name = name;
        this.ways = ways;
        this.train = Split.of(train);
        this.heldOut = Split.of(heldOut);
        for (Split s : List.of(this.train, this.heldOut)) {
            for (int c = 0; c < s.byClass().length; c++) {
                if (s.byClass()[c].length == 0) {
                    throw new IllegalArgumentException(s.images().source() + " has no image of class " + c);
                }
            }
        }
        this.architecture = Architecture.builder(train.width() * train.height()).dense(hidden).relu().dense(ways).softmax()
                .build();
        this.protocol = new Protocol(ways * shots, steps, learningRate, ways * 10);
    }

    /** 5-way 5-shot on the bundled UCI digits (see {@code datasets/README.md}). */
    public static ImageClassFamily digits() throws IOException {
        try (InputStream in = ImageClassFamily.class.getResourceAsStream("/datasets/digits.csv.gz")) {
            if (in == null) {
                throw new IOException("datasets/digits.csv.gz is missing from the classpath");
            }
            return digits(ImageCsv.read(in, "digits.csv.gz", 8, 8, 16f, 10));
        }
    }

    /** 5-way 5-shot on a digits CSV at {@code file} (the UCI/scikit-learn layout: 64 pixels 0..16, label). */
    public static ImageClassFamily digits(Path file) throws IOException {
        return digits(ImageCsv.read(file, 8, 8, 16f, 10));
    }

    private static ImageClassFamily digits(LabelledImages all) {
        int cut = all.size() * 7 / 10;
        return new ImageClassFamily("digits", all.range(0, cut), all.range(cut, all.size()), 5, 5, 32, 0.1f, 32);
    }

    /** 5-way 5-shot on Fashion-MNIST's IDX files in {@code dir}, downsampled to 14x14. */
    public static ImageClassFamily fashionMnist(Path dir) throws IOException {
        for (String f : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz")) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new IOException(dir.resolve(f) + " not found: install Debian's dataset-fashion-mnist "
                        + "(apt-get install dataset-fashion-mnist) or point --data at a folder with the four IDX files");
            }
        }
        LabelledImages train = Idx.read(dir.resolve("train-images-idx3-ubyte.gz"), dir.resolve("train-labels-idx1-ubyte.gz"), 10)
                .downsample(2);
        LabelledImages test = Idx.read(dir.resolve("t10k-images-idx3-ubyte.gz"), dir.resolve("t10k-labels-idx1-ubyte.gz"), 10)
                .downsample(2);
        return new ImageClassFamily("fashion", train, test, 5, 5, 32, 0.1f, 32);
    }

    /** One device: its classes in slot order, drawn from one split. */
    public record Task(Split split, int[] classes) implements TaskFamily.Task {
        @Override
        public List<Sample> samples(int n, SplittableRandom random) {
            List<Sample> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int slot = i % classes.length;
                int[] pool = split.byClass()[classes[slot]];
                float[] y = new float[classes.length];
                y[slot] = 1f;
                out.add(new Sample(split.images().pixels().get(pool[random.nextInt(pool.length)]), y));
            }
            return out;
        }

        @Override
        public Task drifted(SplittableRandom random) {
            int[] next = classes.clone();
            int all = split.byClass().length;
            for (int slot = 0; slot < next.length; slot += 2) {
                int c;
                do {
                    c = random.nextInt(all);
                } while (contains(next, c));
                next[slot] = c;
            }
            return new Task(split, next);
        }

        private static boolean contains(int[] a, int v) {
            for (int x : a) {
                if (x == v) {
                    return true;
                }
            }
            return false;
        }
    }

    private Task task(Split split, SplittableRandom random) {
        int all = split.byClass().length;
        int[] perm = new int[all];
        for (int i = 0; i < all; i++) {
            perm[i] = i;
        }
        for (int i = all - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] classes = new int[ways];
        System.arraycopy(perm, 0, classes, 0, ways);
        return new Task(split, classes);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Architecture architecture() {
        return architecture;
    }

    @Override
    public Protocol protocol() {
        return protocol;
    }

    public int ways() {
        return ways;
    }

    @Override
    public Task trainingTask(SplittableRandom random) {
        return task(train, random);
    }

    @Override
    public Task heldOutTask(SplittableRandom random) {
        return task(heldOut, random);
    }

    @Override
    public String toString() {
        return name + ": " + ways + "-way " + protocol.shots() / ways + "-shot, " + train.images().size() + " training and "
                + heldOut.images().size() + " held-out images (" + train.images().source() + ")";
    }
}
