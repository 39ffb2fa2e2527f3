package io.tinyfed.firmware;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.Quantizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exported C runtime, compiled with gcc on the host (reference and vector kernels), gives the same int16 outputs as the Java S16
 * engine on 400 random inputs (one in ten saturating) for every layer kind the export supports.
 */
class CInferenceParityTest {
    @TempDir
    Path dir;

    static Model model(String which) {
        Architecture a = switch (which) {
            case "sine-tanh" -> Architecture.mlp(Layer.Kind.TANH, 1, 40, 40, 1);
            case "sine-relu" -> Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1);
            case "sigmoid" -> Architecture.mlp(Layer.Kind.SIGMOID, 8, 16, 4);
            case "conv" -> CTrainingParityTest.CONV;
            default -> Architecture.builder(64).dense(32).activation(Layer.Kind.RELU).dense(10)
                    .activation(Layer.Kind.SOFTMAX).build();
        };
        SplittableRandom r = new SplittableRandom(9);
        List<float[]> calibration = new ArrayList<>();
        for (int k = 0; k < 64; k++) {
            float[] x = new float[a.inputSize()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextDouble() * 10 - 5);
            }
            calibration.add(x);
        }
        return Quantizer.toS16(Model.initialize(a, 5), calibration);
    }

    /** Every model with both host builds: the reference kernels and the vector kernels. */
    static Stream<Arguments> cases() {
        return Stream.of("sine-tanh", "sine-relu", "sigmoid", "digits-softmax", "conv")
                .flatMap(which -> Stream.of(Toolchain.HostBuild.values()).map(build -> Arguments.of(which, build)));
    }

    @ParameterizedTest(name = "{0}, {1} kernels")
    @MethodSource("cases")
    void exportedC_matchesTheJavaS16Engine_bitForBit(String which, Toolchain.HostBuild build) throws Exception {
        ParityCheck.Result r = ParityCheck.inference(which, model(which), 400, which.hashCode(), dir, build);

        assertThat(r.mismatches()).as("%s: first mismatch %s", which, r.first()).isZero();
        assertThat(r.compared()).isGreaterThan(400);
    }
}
