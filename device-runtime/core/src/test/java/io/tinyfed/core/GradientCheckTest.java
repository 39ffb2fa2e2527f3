package io.tinyfed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * F32 backprop against central finite differences, for every layer kind. The analytic gradient
 * is read back from one plain SGD step: {@code g = (w_before - w_after) / lr}.
 */
class GradientCheckTest {
    private static final float LR = 1e-3f;
    private static final double H = 1e-3;

    static java.util.stream.Stream<Arguments> networks() {
        return java.util.stream.Stream.of(
                Arguments.of("dense+tanh+sigmoid, MSE",
                        Architecture.builder(3).dense(4).tanh().dense(4).sigmoid().dense(2).build(), Loss.MSE),
                Arguments.of("dense+relu, MSE",
                        Architecture.builder(3).dense(5).relu().dense(2).build(), Loss.MSE),
                Arguments.of("conv1d+relu+dense+softmax, CE",
                        Architecture.builder(12).conv1d(6, 2, 3, 3).relu().dense(4).softmax().build(),
                        Loss.SOFTMAX_CROSS_ENTROPY));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networks")
    void backprop_matchesFiniteDifferencesOnEveryParameter(String name, Architecture arch, Loss loss) {
        SplittableRandom r = new SplittableRandom(11);
        Model model = Model.initialize(arch, 5);
        float[] x = new float[arch.inputSize()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        float[] t = new float[arch.outputSize()];
        if (loss == Loss.SOFTMAX_CROSS_ENTROPY) {
            t[1] = 1f;
        } else {
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) (r.nextDouble() * 2 - 1);
            }
        }
        TrainingConfig config = TrainingConfig.builder().loss(loss).learningRate(LR).build();
        Network trainer = Network.prepare(model, config);
        trainer.trainStep(x, t);
        float[] before = model.f32Parameters();
        float[] after = trainer.snapshot().f32Parameters();

        Network probe = Network.prepare(model, TrainingConfig.inference());
        int checked = 0;
        for (int p = 0; p < before.length; p++) {
            double analytic = (before[p] - (double) after[p]) / LR;
            float[] plus = before.clone();
            plus[p] += (float) H;
            float[] minus = before.clone();
            minus[p] -= (float) H;
            double numeric = (loss(probe, model.withRealParameters(plus), x, t, loss)
                    - loss(probe, model.withRealParameters(minus), x, t, loss))
                    / ((double) plus[p] - minus[p]);
            assertThat(analytic).as("%s: parameter %d", name, p)
                    .isCloseTo(numeric, org.assertj.core.data.Offset.offset(2e-3 + 2e-2 * Math.abs(numeric)));
            checked++;
        }
        assertThat(checked).isEqualTo(arch.parameterCount());
    }

    private static double loss(Network probe, Model m, float[] x, float[] t, Loss loss) {
        probe.load(m);
        float[] y = new float[t.length];
        probe.infer(x, y);
        double l = 0;
        for (int i = 0; i < y.length; i++) {
            if (loss == Loss.MSE) {
                l += (y[i] - t[i]) * (double) (y[i] - t[i]) / y.length;
            } else if (t[i] != 0) {
                l -= t[i] * Math.log(y[i]);
            }
        }
        return l;
    }
}
