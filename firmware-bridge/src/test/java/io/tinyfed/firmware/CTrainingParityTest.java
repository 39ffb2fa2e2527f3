package io.tinyfed.firmware;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.core.Layer;
import io.tinyfed.core.TrainingConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 1,000 training steps in the exported C runtime (compiled with gcc, reference and vector kernels) against the Java S16 engine on
 * the same samples: parameters, scales, saturation and adaptation counters must be identical at
 * steps 1, 10, 100 and 1,000. The samples saturate (sine amplitudes up to 5 against a model
 * calibrated on half the input range), so scale adaptation runs too.
 */
class CTrainingParityTest {
    private static final int STEPS = 1000;

    @TempDir
    Path dir;

    /** Two Conv1D layers (the second one propagates its input gradient through the first's tanh) and a Dense head. */
    static final io.tinyfed.core.Architecture CONV = io.tinyfed.core.Architecture.builder(24).conv1d(12, 2, 4, 3).tanh()
            .conv1d(10, 4, 3, 2).relu().dense(2).build();

    private static ParityCheck.Case of(String which) {
        TrainingConfig.Builder c = TrainingConfig.builder().seed(11);
        return switch (which) {
            case "sine-tanh" -> ParityCheck.sineCase(which, Layer.Kind.TANH, c.learningRate(0.02f).build());
            case "sine-relu-nearest" -> ParityCheck.sineCase(which, Layer.Kind.RELU,
                    c.learningRate(0.01f).rounding(TrainingConfig.Rounding.NEAREST).build());
            case "sine-last-layer" -> ParityCheck.sineCase(which, Layer.Kind.TANH, c.learningRate(0.05f).trainableLayers(1).build());
            case "sine-no-adaptation" -> ParityCheck.sineCase(which, Layer.Kind.TANH,
                    c.learningRate(0.02f).scaleAdaptation(false).build());
            case "sigmoid" -> new ParityCheck.Case(which, io.tinyfed.core.Architecture.mlp(Layer.Kind.SIGMOID, 8, 16, 4),
                    c.learningRate(0.1f).build(), false);
            case "sine-master" -> ParityCheck.sineCase(which, Layer.Kind.TANH, c.learningRate(0.02f).masterWeights(true).build());
            case "sine-accumulation" -> ParityCheck.sineCase(which, Layer.Kind.RELU,
                    c.learningRate(0.02f).accumulationSteps(4).build());
            case "sine-momentum" -> ParityCheck.sineCase(which, Layer.Kind.TANH, c.learningRate(0.005f).momentum(0.9f).build());
            case "digits-master-momentum-accumulation" -> ParityCheck.digitsCase(which, c.learningRate(0.05f)
                    .masterWeights(true).momentum(0.5f).accumulationSteps(2).build());
            case "conv" -> new ParityCheck.Case(which, CONV, c.learningRate(0.02f).build(), false);
            case "conv-nearest-master-accumulation" -> new ParityCheck.Case(which, CONV, c.learningRate(0.02f)
                    .rounding(TrainingConfig.Rounding.NEAREST).masterWeights(true).accumulationSteps(3).build(), false);
            default -> ParityCheck.digitsCase(which, c.learningRate(0.05f).build());
        };
    }

    /** Every case with both host builds: the reference kernels and the vector kernels. */
    static Stream<Arguments> cases() {
        return Stream.of("sine-tanh", "sine-relu-nearest", "sine-last-layer", "sine-no-adaptation", "sigmoid", "digits-softmax",
                        "sine-master", "sine-accumulation", "sine-momentum", "digits-master-momentum-accumulation", "conv",
                        "conv-nearest-master-accumulation")
                .flatMap(which -> Stream.of(Toolchain.HostBuild.values()).map(build -> Arguments.of(which, build)));
    }

    @ParameterizedTest(name = "{0}, {1} kernels")
    @MethodSource("cases")
    void thousandTrainingSteps_inC_equalTheJavaS16Engine(String which, Toolchain.HostBuild build) throws Exception {
        ParityCheck.Case c = of(which);

        ParityCheck.Result r = ParityCheck.training(c, ParityCheck.samples(c, STEPS, which.hashCode()), dir, build);

        assertThat(r.mismatches()).as("%s: first mismatch %s", which, r.first()).isZero();
        assertThat(r.compared()).isGreaterThan(4L * c.architecture().parameterCount());
        assertThat(r.saturations()).as("the samples exercise saturation").isPositive();
        if (c.config().scaleAdaptation()) {
            assertThat(r.adaptations()).as("the samples exercise scale adaptation").isPositive();
        }
    }
}
