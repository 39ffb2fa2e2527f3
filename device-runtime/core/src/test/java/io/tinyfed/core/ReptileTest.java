package io.tinyfed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReptileTest {

    @Test
    void outerStep_movesThetaTowardsTheWeightedMeanDelta() {
        float[] theta = {1f, 2f};
        List<float[]> deltas = List.of(new float[] {1f, 0f}, new float[] {-1f, 4f});
        float[] actual = Reptile.outerStep(theta, deltas, new double[] {3, 1}, 0.5);
        // weighted mean = (3*[1,0] + 1*[-1,4]) / 4 = [0.5, 1]; theta + 0.5 * mean
        assertThat(actual).containsExactly(new float[] {1.25f, 2.5f}, within(1e-6f));
    }

    @Test
    void outerStep_rejectsBadInputWithoutResult() {
        float[] theta = {0f, 0f};
        assertThatThrownBy(() -> Reptile.outerStep(theta, List.of(new float[] {Float.NaN, 0f}), new double[] {1}, 1))
                .hasMessageContaining("non-finite");
        assertThatThrownBy(() -> Reptile.outerStep(theta, List.of(new float[] {1f}), new double[] {1}, 1))
                .hasMessageContaining("has 1 values");
        assertThatThrownBy(() -> Reptile.outerStep(theta, List.of(new float[] {1f, 1f}), new double[] {0}, 1))
                .hasMessageContaining("sum to zero");
        assertThatThrownBy(() -> Reptile.outerStep(theta, List.of(new float[] {1f, 1f}), new double[] {-1}, 1))
                .hasMessageContaining("weight 0");
        assertThat(theta).containsExactly(0f, 0f);
    }

    @Test
    void adapt_leavesThetaUnchangedAndDeltaIsPhiMinusTheta() {
        Model theta = Model.initialize(TestData.SINE, 1);
        float[] before = theta.f32Parameters();
        Network scratch = Network.prepare(theta, TrainingConfig.builder().build());
        Model phi = Reptile.adapt(scratch, theta, TestData.sine(2, 0, 10, 1), 5, 0.01f);
        assertThat(theta.f32Parameters()).isEqualTo(before);
        float[] delta = Reptile.delta(phi, theta);
        float[] p = phi.f32Parameters();
        for (int i = 0; i < delta.length; i++) {
            assertThat(delta[i]).isEqualTo(p[i] - before[i]);
        }
        assertThat(delta).isNotEqualTo(new float[delta.length]);
    }

    @Test
    void reptile_metaLearnsAnInitThatAdaptsFasterThanRandomInit() {
        Model random = Model.initialize(TestData.SINE, 1);
        Model theta = random;
        TrainingConfig inner = TrainingConfig.builder().learningRate(0.02f).accumulationSteps(10).build();
        Network scratch = Network.prepare(theta, inner);
        SplittableRandom r = new SplittableRandom(4);
        int iterations = 1500;
        for (int it = 0; it < iterations; it++) {
            List<Sample> task = TestData.sine(0.1 + r.nextDouble() * 4.9, r.nextDouble() * Math.PI, 10, r.nextLong());
            Model phi = Reptile.adapt(scratch, theta, task, 16, 0.02f);
            theta = Reptile.outerStep(theta, List.of(Reptile.delta(phi, theta)), new double[] {1},
                    1.0 - (double) it / iterations);
        }
        double meta = 0;
        double base = 0;
        SplittableRandom eval = new SplittableRandom(99);
        for (int task = 0; task < 30; task++) {
            double a = 0.1 + eval.nextDouble() * 4.9;
            double ph = eval.nextDouble() * Math.PI;
            List<Sample> shots = TestData.sine(a, ph, 10, eval.nextLong());
            List<Sample> test = TestData.sine(a, ph, 100, eval.nextLong());
            Reptile.adapt(scratch, theta, shots, 8, 0.02f);
            meta += TestData.mse(scratch, test);
            Reptile.adapt(scratch, random, shots, 8, 0.02f);
            base += TestData.mse(scratch, test);
        }
        assertThat(meta).as("meta-init %.3f vs random init %.3f (sum over 30 tasks)", meta, base).isLessThan(base * 0.6);
    }

    @Test
    void keepPersonal_zeroesTheLastLayersPartOfADelta() {
        // 1-40-40-1: layer 1 has 80 parameters, layer 2 1,640, layer 3 (the head) 41.
        float[] delta = new float[TestData.SINE.parameterCount()];
        java.util.Arrays.fill(delta, 1f);

        Reptile.keepPersonal(delta, TestData.SINE, 1);

        assertThat(TestData.SINE.personalStart(1)).isEqualTo(80 + 1_640);
        assertThat(TestData.SINE.personalStart(2)).isEqualTo(80);
        assertThat(TestData.SINE.personalStart(0)).isEqualTo(1_761);
        for (int i = 0; i < delta.length; i++) {
            assertThat(delta[i]).as("value %d", i).isEqualTo(i < 1_720 ? 1f : 0f);
        }
        assertThatThrownBy(() -> TestData.SINE.personalStart(3)).hasMessageContaining("personal layers must be in [0, 3)");
    }
}
