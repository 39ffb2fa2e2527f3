package io.tinyfed.firmware;

import io.tinyfed.export.CExport;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Loss;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.core.fixed.FixedPoint;
import io.tinyfed.core.internal.S16Engine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs the exported C (compiled with the host gcc) and the Java S16 engine on the same data and
 * counts differing elements: int16 outputs for inference; parameters, scales and counters at
 * checkpoints for training. Used by the parity tests and {@code ./tinyfed bench firmware}.
 */
public final class ParityCheck {
    /** Training checkpoints compared (the last one is the step count). */
    public static final int[] CHECKPOINTS = {1, 10, 100, 1000};

    /**
     * @param first the first differing element ("" when none)
     * @param saturations / adaptations of the Java engine over the run (training only; 0 for inference)
     */
    public record Result(String name, long compared, long mismatches, String first, long saturations, long adaptations) {
    }

    private ParityCheck() {
    }

    /** A training case: a model, its configuration and whether samples are classes (else sine regression). */
    public record Case(String name, Architecture architecture, TrainingConfig config, boolean classification) {
    }

    public static Case sineCase(String name, Layer.Kind hidden, TrainingConfig config) {
        return new Case(name, Architecture.mlp(hidden, 1, 40, 40, 1), config, false);
    }

    /** The 64-32-10 ReLU/softmax network of the UCI digits benchmark. */
    public static Case digitsCase(String name, TrainingConfig config) {
        return new Case(name, Architecture.builder(64).dense(32).activation(Layer.Kind.RELU).dense(10)
                .activation(Layer.Kind.SOFTMAX).build(), config.toBuilder().loss(Loss.SOFTMAX_CROSS_ENTROPY).build(), true);
    }

    /**
     * Seeded samples: sine tasks (new amplitude in [0.1, 5] and phase every 50 steps, x in [-5, 5]); for the
     * digits case, the real UCI handwritten digits (64 pixels / 16, one-hot labels) in a seeded order;
     * other regressions get random inputs and targets uniform in [-4, 4].
     */
    public static List<float[][]> samples(Case c, int steps, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int in = c.architecture().inputSize();
        int out = c.architecture().outputSize();
        List<float[][]> samples = new ArrayList<>();
        if (c.classification()) {
            List<io.tinyfed.core.Sample> digits = new ArrayList<>(io.tinyfed.bench.UciDigits.load());
            for (int i = digits.size() - 1; i > 0; i--) {
                java.util.Collections.swap(digits, i, r.nextInt(i + 1));
            }
            for (int k = 0; k < steps; k++) {
                io.tinyfed.core.Sample s = digits.get(k % digits.size());
                samples.add(new float[][] {s.x().clone(), s.y().clone()});
            }
            return samples;
        }
        double amplitude = 1;
        double phase = 0;
        for (int k = 0; k < steps; k++) {
            float[] x = new float[in];
            float[] t = new float[out];
            if (k % 50 == 0) {
                amplitude = 0.1 + r.nextDouble() * 4.9;
                phase = r.nextDouble() * Math.PI;
            }
            for (int i = 0; i < in; i++) {
                x[i] = (float) (r.nextDouble() * 10 - 5);
            }
            for (int j = 0; j < out; j++) {
                t[j] = out == 1 ? (float) (amplitude * Math.sin(x[0] + phase)) : (float) (r.nextDouble() * 8 - 4);
            }
            samples.add(new float[][] {x, t});
        }
        return samples;
    }

    /**
     * The case's model quantised on half-range calibration inputs, so that training saturates and
     * scale adaptation runs.
     */
    public static Model model(Case c, List<float[][]> samples) {
        List<float[]> calibration = new ArrayList<>();
        for (int k = 0; k < 32; k++) {
            float[] x = samples.get(k)[0].clone();
            for (int i = 0; i < x.length; i++) {
                x[i] *= 0.5f;
            }
            calibration.add(x);
        }
        return Quantizer.toS16(Model.initialize(c.architecture(), 4), calibration);
    }

    /** Inference on {@code inputs} seeded inputs (one in ten far out of range). */
    public static Result inference(String name, Model s16, int inputs, long seed, Path dir)
            throws IOException, InterruptedException {
        return inference(name, s16, inputs, seed, dir, Toolchain.HostBuild.REFERENCE);
    }

    /** {@link #inference(String, Model, int, long, Path)} with the C runtime built as {@code build} says. */
    public static Result inference(String name, Model s16, int inputs, long seed, Path dir, Toolchain.HostBuild build)
            throws IOException, InterruptedException {
        CExport.export(s16, "model", dir);
        Toolchain.copyResource("parity_infer.c", dir);
        Path exe = Toolchain.gcc(dir, build, "infer", "parity_infer.c", "model.c", "tinyfed.c", "tinyfed_tables.c");
        S16Engine engine = (S16Engine) Network.prepare(s16, TrainingConfig.inference());
        SplittableRandom r = new SplittableRandom(seed);
        int in = s16.architecture().inputSize();
        int out = s16.architecture().outputSize();
        StringBuilder stdin = new StringBuilder().append(inputs).append('\n');
        short[][] expected = new short[inputs][out];
        for (int k = 0; k < inputs; k++) {
            short[] x = new short[in];
            for (int i = 0; i < in; i++) {
                double v = k % 10 == 0 ? r.nextDouble() * 200 - 100 : r.nextDouble() * 10 - 5;
                x[i] = FixedPoint.quantize((float) v, s16.inputFrac());
                stdin.append(x[i]).append(i + 1 < in ? ' ' : '\n');
            }
            engine.inferRaw(x, expected[k]);
        }
        String[] lines = Toolchain.run(dir, stdin.toString(), List.of(exe.toString())).split("\n");
        long mismatches = 0;
        String first = "";
        if (Integer.parseInt(lines[0].trim()) != outputFrac(s16)) {
            mismatches++;
            first = "output frac: C " + lines[0].trim() + ", Java " + outputFrac(s16);
        }
        for (int k = 0; k < inputs; k++) {
            String[] actual = lines[k + 1].trim().split(" ");
            for (int j = 0; j < out; j++) {
                if (Short.parseShort(actual[j]) != expected[k][j]) {
                    if (mismatches++ == 0) {
                        first = "input " + k + ", output " + j + ": C " + actual[j] + ", Java " + expected[k][j];
                    }
                }
            }
        }
        return new Result(name, (long) inputs * out + 1, mismatches, first, 0, 0);
    }

    /** {@code samples.size()} training steps; compares state at {@link #CHECKPOINTS} up to the step count. */
    public static Result training(Case c, List<float[][]> samples, Path dir) throws IOException, InterruptedException {
        return training(c, samples, dir, Toolchain.HostBuild.REFERENCE);
    }

    /** {@link #training(Case, List, Path)} with the C runtime built as {@code build} says. */
    public static Result training(Case c, List<float[][]> samples, Path dir, Toolchain.HostBuild build)
            throws IOException, InterruptedException {
        Model s16 = model(c, samples);
        int steps = samples.size();
        Network net = Network.prepare(s16, c.config());
        Map<Integer, String[]> expected = new LinkedHashMap<>();
        for (int k = 1; k <= steps; k++) {
            net.trainStep(samples.get(k - 1)[0], samples.get(k - 1)[1]);
            if (k == 1 || k == 10 || k == 100 || k == steps) {
                expected.put(k, dump(net));
            }
        }
        CExport.export(s16, "model", dir, c.config());
        Toolchain.copyResource("parity_train.c", dir);
        Path exe = Toolchain.gcc(dir, build, "train", "parity_train.c", "model.c", "tinyfed.c", "tinyfed_tables.c");
        StringBuilder stdin = new StringBuilder().append(steps).append('\n');
        for (float[][] s : samples) {
            for (float v : s[0]) {
                stdin.append(Float.toHexString(v)).append(' ');
            }
            for (float v : s[1]) {
                stdin.append(Float.toHexString(v)).append(' ');
            }
            stdin.append('\n');
        }
        String[] lines = Toolchain.run(dir, stdin.toString(), List.of(exe.toString())).split("\n");
        long compared = 0;
        long mismatches = 0;
        String first = "";
        String[] names = {"counters (saturations adaptations)", "scales", "parameters"};
        int cp = 0;
        for (Map.Entry<Integer, String[]> e : expected.entrySet()) {
            if (4 * cp + 3 >= lines.length || !lines[4 * cp].equals("step " + e.getKey())) {
                return new Result(c.name(), compared, mismatches + 1, "C output ends before step " + e.getKey(),
                        net.saturationCount(), net.scaleAdaptations());
            }
            for (int part = 0; part < 3; part++) {
                String[] a = lines[4 * cp + 1 + part].trim().split(" ");
                String[] w = e.getValue()[part].split(" ");
                for (int i = 0; i < Math.max(a.length, w.length); i++) {
                    compared++;
                    String ai = i < a.length ? a[i] : "(missing)";
                    String wi = i < w.length ? w[i] : "(missing)";
                    if (!ai.equals(wi) && mismatches++ == 0) {
                        first = "step " + e.getKey() + ", " + names[part] + " element " + i + ": C " + ai + ", Java " + wi;
                    }
                }
            }
            cp++;
        }
        return new Result(c.name(), compared, mismatches, first, net.saturationCount(), net.scaleAdaptations());
    }

    /** The output's fractional bits: the last parametrised layer's, or Q0.15 after tanh/sigmoid/softmax. */
    static int outputFrac(Model m) {
        Layer last = m.architecture().layer(m.architecture().size() - 1);
        if (last instanceof Layer.Activation a && a.kind() != Layer.Kind.RELU) {
            return 15;
        }
        return m.outputFrac(m.architecture().parametrizedLayerCount() - 1);
    }

    /** The Java engine's state in the harness's format: counters, scales section, parameters. */
    private static String[] dump(Network net) {
        Model m = net.snapshot();
        Architecture a = m.architecture();
        StringBuilder scales = new StringBuilder();
        for (int t = 0; t < a.tensorCount(); t++) {
            scales.append(m.tensorFrac(t)).append(' ');
        }
        int k = 0;
        int previous = m.inputFrac();
        for (Layer l : a.layers()) {
            int f;
            if (l.hasParameters()) {
                f = m.outputFrac(k++);
            } else if (l instanceof Layer.Activation act && act.kind() == Layer.Kind.RELU) {
                f = previous;
            } else {
                f = 15;
            }
            scales.append(f).append(' ');
            previous = f;
        }
        scales.append(m.inputFrac());
        StringBuilder params = new StringBuilder();
        short[] p = m.s16Parameters();
        for (int i = 0; i < p.length; i++) {
            params.append(i == 0 ? "" : " ").append(p[i]);
        }
        return new String[] {net.saturationCount() + " " + net.scaleAdaptations(), scales.toString(), params.toString()};
    }
}
