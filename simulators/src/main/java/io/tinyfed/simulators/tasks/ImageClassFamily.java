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
 * N-way K-shot classification episodes, the handwritten-character family of meta-learning (Omniglot style) on
 * real images: each device recognises {@code ways} classes of its own choosing, in its own label order (its output
 * slot 0 may be the digit 7, another device's slot 0 the digit 2), so no single classifier serves every device and
 * a new device must adapt. Training devices draw images from the training split, new devices from the held-out
 * split. Drift: half of a device's classes are replaced by others in the same output slots (its user starts writing
 * different characters).
 *
 * <p>When the data say who produced each image (a speaker, for keywords), a device is one such group and draws only
 * its own images; training and new devices are then different groups.
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

    /** One split's image indices per group (writer, speaker) and class, and the groups that hold every class. */
    record Split(LabelledImages images, java.util.Map<Integer, int[][]> byGroup, int[] completeGroups) {
        static Split of(LabelledImages images) {
            java.util.Map<Integer, List<List<Integer>>> lists = new java.util.TreeMap<>();
            for (int i = 0; i < images.size(); i++) {
                List<List<Integer>> perClass = lists.computeIfAbsent(images.group(i), g -> {
                    List<List<Integer>> l = new ArrayList<>();
                    for (int c = 0; c < images.classes(); c++) {
                        l.add(new ArrayList<>());
                    }
                    return l;
                });
                perClass.get(images.label(i)).add(i);
            }
            java.util.Map<Integer, int[][]> by = new java.util.TreeMap<>();
            List<Integer> complete = new ArrayList<>();
            lists.forEach((g, perClass) -> {
                int[][] a = new int[perClass.size()][];
                boolean all = true;
                for (int c = 0; c < a.length; c++) {
                    a[c] = perClass.get(c).stream().mapToInt(Integer::intValue).toArray();
                    all &= a[c].length > 0;
                }
                by.put(g, a);
                if (all) {
                    complete.add(g);
                }
            });
            if (complete.isEmpty()) {
                throw new IllegalArgumentException(images.source() + ": no writer/speaker has an image of every class");
            }
            return new Split(images, by, complete.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    /**
     * @param ways         classes per device ({@code 2..classes})
     * @param shots        support images per class for a new device
     * @param testPerClass test images per class for a new device
     * @param hidden       units of the one hidden ReLU layer
     */
    public ImageClassFamily(String name, LabelledImages train, LabelledImages heldOut, int ways, int shots, int testPerClass,
                            int steps, float learningRate, int hidden) {
        if (ways < 2 || ways > train.classes()) {
            throw new IllegalArgumentException("ways must be in [2, " + train.classes() + "], got " + ways);
        }
        this.name = name;
        this.ways = ways;
        this.train = Split.of(train);
        this.heldOut = Split.of(heldOut);
        this.architecture = Architecture.builder(train.width() * train.height()).dense(hidden).relu().dense(ways).softmax()
                .build();
        this.protocol = new Protocol(ways * shots, steps, learningRate, ways * testPerClass);
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
        return new ImageClassFamily("digits", all.range(0, cut), all.range(cut, all.size()), 5, 5, 10, 32, 0.1f, 32);
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
        return new ImageClassFamily("fashion", train, test, 5, 5, 10, 32, 0.1f, 32);
    }

    /**
     * 5-way 3-shot keyword spotting on log-mel features of clips in the Speech Commands layout: each device is one
     * speaker with five of the words in its own order; the first 75% of the speakers (in name order) are training
     * devices, the rest new devices. Needs 8 clips per speaker and word (3 shots + 5 test) to keep them apart. The
     * adaptation rate 0.1 is the one the random init likes too (32 steps: 0.738 / 0.745 / 0.748 at 0.05 / 0.1 / 0.2
     * on the default corpus), so the baseline is not starved.
     */
    public static ImageClassFamily keywords(LabelledImages clips) {
        int speakers = java.util.Arrays.stream(clips.groups()).max().orElse(0) + 1;
        int cut = Math.max(1, speakers * 3 / 4);
        if (cut >= speakers) {
            throw new IllegalArgumentException(clips.source() + ": need at least 2 speakers to hold some out");
        }
        return new ImageClassFamily("keywords", clips.groups(g -> g < cut), clips.groups(g -> g >= cut), 5, 3, 5, 32, 0.1f,
                32);
    }

    /**
     * One device: its writer or speaker ({@code group}) and its classes in slot order, drawn from one split. One call
     * of {@link #samples} draws without replacement (a slot's pool is reshuffled only once it is used up), so an
     * episode's support and test images differ.
     */
    public record Task(Split split, int group, int[] classes) implements TaskFamily.Task {
        @Override
        public List<Sample> samples(int n, SplittableRandom random) {
            int[][] pools = split.byGroup().get(group);
            Draws draws = new Draws(classes.length);
            List<Sample> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int slot = i % classes.length;
                int[] pool = pools[classes[slot]];
                int pick = pool[draws.next(slot, pool.length, random)];
                float[] y = new float[classes.length];
                y[slot] = 1f;
                out.add(new Sample(split.images().pixels().get(pick), y));
            }
            return out;
        }

        @Override
        public List<List<Sample>> episode(int shots, int test, SplittableRandom random) {
            return TaskFamily.Task.split(samples(shots + test, random), shots);
        }

        @Override
        public Task drifted(SplittableRandom random) {
            int[] next = classes.clone();
            int all = split.images().classes();
            for (int slot = 0; slot < next.length; slot += 2) {
                int c;
                do {
                    c = random.nextInt(all);
                } while (contains(next, c));
                next[slot] = c;
            }
            return new Task(split, group, next);
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
        int group = split.completeGroups()[random.nextInt(split.completeGroups().length)];
        int all = split.images().classes();
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
        return new Task(split, group, classes);
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
