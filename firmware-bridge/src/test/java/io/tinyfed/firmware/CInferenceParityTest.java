package io.tinyfed.firmware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.core.fixed.FixedPoint;
import io.tinyfed.core.internal.S16Engine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exported C runtime, compiled with gcc on the host, gives the same int16 outputs as the Java S16
 * engine, byte for byte, on random inputs (including ones that saturate), for every layer kind the
 * export supports. A mismatch names the first differing element.
 */
class CInferenceParityTest {
    private static final int INPUTS = 400;

    @TempDir
    Path dir;

    static Model model(String which) {
        Architecture a = switch (which) {
            case "sine-tanh" -> Architecture.mlp(Layer.Kind.TANH, 1, 40, 40, 1);
            case "sine-relu" -> Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1);
            case "sigmoid" -> Architecture.mlp(Layer.Kind.SIGMOID, 8, 16, 4);
            default -> Architecture.builder(64).dense(32).activation(Layer.Kind.RELU).dense(10)
                    .activation(Layer.Kind.SOFTMAX).build();
        };
        Model f32 = Model.initialize(a, 5);
        SplittableRandom r = new SplittableRandom(9);
        List<float[]> calibration = new ArrayList<>();
        for (int k = 0; k < 64; k++) {
            float[] x = new float[a.inputSize()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextDouble() * 10 - 5);
            }
            calibration.add(x);
        }
        return Quantizer.toS16(f32, calibration);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sine-tanh", "sine-relu", "sigmoid", "digits-softmax"})
    void exportedC_matchesTheJavaS16Engine_bitForBit(String which) throws Exception {
        Model s16 = model(which);
        long arena = CExport.export(s16, "model", dir);
        Path harness = dir.resolve("infer_main.c");
        try (InputStream in = getClass().getResourceAsStream("/harness/infer_main.c")) {
            Files.write(harness, in.readAllBytes());
        }
        Path exe = dir.resolve("infer");
        run(dir, null, "gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-o", exe.toString(),
                "infer_main.c", "model.c", "tinyfed.c", "tinyfed_tables.c", "-lm");

        S16Engine engine = (S16Engine) Network.prepare(s16, TrainingConfig.inference());
        SplittableRandom r = new SplittableRandom(which.hashCode());
        int in = s16.architecture().inputSize();
        int out = s16.architecture().outputSize();
        StringBuilder stdin = new StringBuilder().append(INPUTS).append('\n');
        short[][] expected = new short[INPUTS][out];
        for (int k = 0; k < INPUTS; k++) {
            short[] x = new short[in];
            for (int i = 0; i < in; i++) {
                // Mostly in range, some far outside (saturating the first layer).
                double v = k % 10 == 0 ? r.nextDouble() * 200 - 100 : r.nextDouble() * 10 - 5;
                x[i] = FixedPoint.quantize((float) v, s16.inputFrac());
                stdin.append(x[i]).append(i + 1 < in ? ' ' : '\n');
            }
            engine.inferRaw(x, expected[k]);
        }
        String[] lines = run(dir, stdin.toString(), exe.toString()).split("\n");

        assertThat(Integer.parseInt(lines[0].trim())).as("output frac").isEqualTo(outputFrac(s16));
        for (int k = 0; k < INPUTS; k++) {
            String[] actual = lines[k + 1].trim().split(" ");
            for (int j = 0; j < out; j++) {
                if (Short.parseShort(actual[j]) != expected[k][j]) {
                    fail("%s: first mismatch at input %d, output %d: C %s, Java %d", which, k, j, actual[j], expected[k][j]);
                }
            }
        }
        assertThat(lines[INPUTS + 1].trim()).isEqualTo("arena " + ((arena + 3) / 4 * 4));
    }

    /** The output's fractional bits: the last parametrised layer's, or Q0.15 after tanh/sigmoid/softmax. */
    private static int outputFrac(Model m) {
        Layer last = m.architecture().layer(m.architecture().size() - 1);
        if (last instanceof Layer.Activation a && a.kind() != Layer.Kind.RELU) {
            return 15;
        }
        return m.outputFrac(m.architecture().parametrizedLayerCount() - 1);
    }

    static String run(Path cwd, String stdin, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(false).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.US_ASCII));
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("%s failed (exit %s): %s", String.join(" ", command), p.isAlive() ? "timeout" : p.exitValue(), err);
        }
        return new String(out, StandardCharsets.US_ASCII);
    }
}
