package io.tinyfed.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One whole S16 training step worked out by hand from docs/fixed-point.md, so the engine's
 * sequence (quantise, forward, loss gradient, normalise, update) is pinned, not only its kernels.
 */
class S16TrainStepGoldenTest {
    private static final Architecture ONE = Architecture.builder(1).dense(1).build();

    /** W = 1.0 (Q1.14), b = 0 (Q1.14), input Q3.12, output Q3.12. */
    private static Model unit() {
        return Model.ofS16(ONE, new short[] {16384, 0}, new int[] {14, 14}, 12, new int[] {12});
    }

    @ParameterizedTest
    @EnumSource(TrainingConfig.Rounding.class)
    void mseStep_matchesTheHandComputation(TrainingConfig.Rounding rounding) {
        Network net = Network.prepare(unit(), TrainingConfig.builder().learningRate(0.25f).rounding(rounding).build());
        // x = 1.0 -> 4096; y = 16384 * 4096 = 2^26 at frac 26 -> 4096 at frac 12 (1.0)
        // target 0.5 -> 2048; e = 2048; dx = 2048 * 512 = 2^20 at frac 20
        // normalise: bitLength 21 -> shift 6 -> error 16384 at frac 14 (= 2 (y - t) = 1.0)
        // lrQ = 16384; G = 16384 * 16384 = 2^28
        // weight: update 2^28 * 4096 = 2^40, shift 14 + 12 + 16 - 14 = 28 -> step 4096 -> 12288 (0.75)
        // bias:   update 2^28, shift 14 + 16 - 14 = 16 -> step 4096 -> -4096 (-0.25)
        float loss = net.trainStep(new float[] {1f}, new float[] {0.5f});
        assertThat(loss).isEqualTo(0.25f);
        Model after = net.snapshot();
        assertThat(after.s16Parameters()).containsExactly((short) 12288, (short) -4096);
        assertThat(after.tensorFrac(0)).isEqualTo(14);
        assertThat(net.saturationCount()).isZero();
    }

    @Test
    void subLsbUpdate_vanishesWithNearestRoundingAndSurvivesStochasticallyOnAverage() {
        // lr 2^-16 (lrQ = 1): G = 16384, weight update 16384 * 4096 = 2^26 at shift 28 = 0.25 LSB per step
        TrainingConfig nearest = TrainingConfig.builder().learningRate(1f / 65536).rounding(TrainingConfig.Rounding.NEAREST)
                .scaleAdaptation(false).build();
        TrainingConfig stochastic = nearest.toBuilder().rounding(TrainingConfig.Rounding.STOCHASTIC).seed(7).build();
        Network n = Network.prepare(unit(), nearest);
        Network s = Network.prepare(unit(), stochastic);
        for (int i = 0; i < 400; i++) {
            n.trainStep(new float[] {1f}, new float[] {0.5f});
            s.trainStep(new float[] {1f}, new float[] {0.5f});
        }
        assertThat(n.snapshot().s16Parameters()[0]).as("nearest rounding loses every step").isEqualTo((short) 16384);
        int moved = 16384 - s.snapshot().s16Parameters()[0];
        // expected 400 * 0.25 = 100 LSB (binomial sd 8.7; the error barely changes over 100 LSB of 16384)
        assertThat(moved).isBetween(75, 125);
    }
}
