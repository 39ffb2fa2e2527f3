package io.tinyfed.firmware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Loss;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.TrainingConfig;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * 1,000 training steps in the exported C runtime (compiled with gcc) against the Java S16 engine on
 * the same samples: parameters, scales, saturation and adaptation counters must be identical at
 * steps 1, 10, 100 and 1,000. Samples are chosen to saturate (sine amplitudes up to 5 against a
 * model calibrated on small outputs), so scale adaptation runs too. A mismatch names the first
 * differing element and the first checkpoint where it differs.
 */
class CTrainingParityTest {
    private static final int STEPS = 1000;
    private static final int[] CHECKPOINTS = {1, 10, 100, STEPS};

    @TempDir
    Path dir;

    private record Case(Architecture architecture, TrainingConfig config, boolean classification) {
    }

    private static Case of(String which) {
        TrainingConfig.Builder c = TrainingConfig.builder().seed(11);
        return switch (which) {
            case "sine-tanh" -> new Case(Architecture.mlp(Layer.Kind.TANH, 1, 40, 40, 1), c.learningRate(0.02f).build(), false);
            case "sine-relu-nearest" -> new Case(Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1),
                    c.learningRate(0.01f).rounding(TrainingConfig.Rounding.NEAREST).build(), false);
            case "sine-last-layer" -> new Case(Architecture.mlp(Layer.Kind.TANH, 1, 40, 40, 1),
                    c.learningRate(0.05f).trainableLayers(1).build(), false);
            case "sigmoid-no-adaptation" -> new Case(Architecture.mlp(Layer.Kind.SIGMOID, 8, 16, 4),
                    c.learningRate(0.1f).scaleAdaptation(false).build(), false);
            default -> new Case(Architecture.builder(64).dense(32).activation(Layer.Kind.RELU).dense(10)
                    .activation(Layer.Kind.SOFTMAX).build(), c.learningRate(0.05f).loss(Loss.SOFTMAX_CROSS_ENTROPY).build(), true);
        };
    }

    /** Seeded samples: sine tasks (new amplitude/phase every 50 steps) or digit-like class prototypes plus noise. */
    private static List<float[][]> samples(Case c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int in = c.architecture().inputSize();
        int out = c.architecture().outputSize();
        List<float[][]> samples = new ArrayList<>();
        float[][] prototypes = new float[out][in];
        for (float[] p : prototypes) {
            for (int i = 0; i < in; i++) {
                p[i] = r.nextInt(17);
            }
        }
        double amplitude = 1;
        double phase = 0;
        for (int k = 0; k < STEPS; k++) {
            float[] x = new float[in];
            float[] t = new float[out];
            if (c.classification()) {
                int label = r.nextInt(out);
                for (int i = 0; i < in; i++) {
                    x[i] = Math.max(0, Math.min(16, prototypes[label][i] + r.nextInt(5) - 2));
                }
                t[label] = 1f;
            } else {
                if (k % 50 == 0) {
                    amplitude = 0.1 + r.nextDouble() * 4.9;
                    phase = r.nextDouble() * Math.PI;
                }
                for (int i = 0; i < in; i++) {
                    x[i] = (float) (r.nextDouble() * 10 - 5);
                }
                for (int j = 0; j < out; j++) {
                    t[j] = out == 1 ? (float) (amplitude * Math.sin(x[0] + phase)) : (float) r.nextDouble();
                }
            }
            samples.add(new float[][] {x, t});
        }
        return samples;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sine-tanh", "sine-relu-nearest", "sine-last-layer", "sigmoid-no-adaptation", "digits-softmax"})
    void thousandTrainingSteps_inC_equalTheJavaS16Engine(String which) throws Exception {
        Case c = of(which);
        List<float[][]> samples = samples(c, which.hashCode());
        List<float[]> calibration = new ArrayList<>();
        for (int k = 0; k < 32; k++) {
            float[] x = samples.get(k)[0].clone();
            for (int i = 0; i < x.length; i++) {
                x[i] *= 0.5f; // calibrate on a narrower range than training sees: saturation and adaptation happen
            }
            calibration.add(x);
        }
        Model s16 = Quantizer.toS16(Model.initialize(c.architecture(), 4), calibration);

        // Java
        Network net = Network.prepare(s16, c.config());
        Map<Integer, String[]> expected = new LinkedHashMap<>();
        for (int k = 1; k <= STEPS; k++) {
            net.trainStep(samples.get(k - 1)[0], samples.get(k - 1)[1]);
            for (int cp : CHECKPOINTS) {
                if (cp == k) {
                    expected.put(k, dump(net));
                }
            }
        }

        // C
        CExport.export(s16, "model", dir, c.config());
        try (InputStream in = getClass().getResourceAsStream("/harness/train_main.c")) {
            Files.write(dir.resolve("train_main.c"), in.readAllBytes());
        }
        String exe = dir.resolve("train").toString();
        CInferenceParityTest.run(dir, null, "gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-o", exe,
                "train_main.c", "model.c", "tinyfed.c", "tinyfed_tables.c", "-lm");
        StringBuilder stdin = new StringBuilder().append(STEPS).append('\n');
        for (float[][] s : samples) {
            for (float v : s[0]) {
                stdin.append(Float.toHexString(v)).append(' ');
            }
            for (float v : s[1]) {
                stdin.append(Float.toHexString(v)).append(' ');
            }
            stdin.append('\n');
        }
        String[] lines = CInferenceParityTest.run(dir, stdin.toString(), exe).split("\n");

        assertThat(lines).hasSize(4 * CHECKPOINTS.length);
        for (int cp = 0; cp < CHECKPOINTS.length; cp++) {
            int step = CHECKPOINTS[cp];
            String[] want = expected.get(step);
            assertThat(lines[4 * cp]).isEqualTo("step " + step);
            String[] names = {"counters (saturations adaptations)", "scales", "parameters"};
            for (int part = 0; part < 3; part++) {
                String[] a = lines[4 * cp + 1 + part].trim().split(" ");
                String[] e = want[part].split(" ");
                for (int i = 0; i < Math.max(a.length, e.length); i++) {
                    String ai = i < a.length ? a[i] : "(missing)";
                    String ei = i < e.length ? e[i] : "(missing)";
                    if (!ai.equals(ei)) {
                        fail("%s: step %d, %s element %d: C %s, Java %s", which, step, names[part], i, ai, ei);
                    }
                }
            }
        }
        System.out.printf("%s: %d steps bit-exact; saturations %d, scale adaptations %d%n", which, STEPS,
                net.saturationCount(), net.scaleAdaptations());
        assertThat(net.saturationCount()).as("the samples exercise saturation").isPositive();
        if (c.config().scaleAdaptation()) {
            assertThat(net.scaleAdaptations()).as("the samples exercise scale adaptation").isPositive();
        }
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
