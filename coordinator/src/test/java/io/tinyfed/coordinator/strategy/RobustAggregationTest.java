package io.tinyfed.coordinator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Robust combination of deltas, tested like Flower's aggregate tests: small literal inputs, exact outputs. */
class RobustAggregationTest {
    @Test
    void trimmedMean_dropsTheExtremesPerCoordinate() {
        List<float[]> deltas = List.of(new float[] {1, 10}, new float[] {2, 20}, new float[] {3, 30}, new float[] {100, -1000});
        // trim 0.25 of 4 drops one value at each end per coordinate: [2, 3] -> 2.5 and [10, 20] -> 15
        assertThat(RobustAggregation.trimmedMean(deltas, 0.25)).containsExactly(2.5f, 15f);
    }

    @Test
    void median_ignoresASignFlippedMinority() {
        List<float[]> deltas = List.of(new float[] {1f}, new float[] {1.2f}, new float[] {0.8f}, new float[] {-50f}, new float[] {1.1f});
        // sorted: -50, 0.8, 1, 1.1, 1.2
        assertThat(RobustAggregation.median(deltas)).containsExactly(1f);
    }

    @Test
    void median_ofAnEvenCount_isTheMeanOfTheMiddleTwo() {
        List<float[]> deltas = List.of(new float[] {4f, 0f}, new float[] {1f, -3f}, new float[] {-90f, 7f}, new float[] {2f, 5f});
        // sorted: -90, 1, 2, 4 -> 1.5 and -3, 0, 5, 7 -> 2.5
        assertThat(RobustAggregation.median(deltas)).containsExactly(1.5f, 2.5f);
    }

    @Test
    void clip_scalesLongDeltasToTheBoundAndLeavesShortOnes() {
        List<float[]> clipped = RobustAggregation.clip(List.of(new float[] {3, 4}, new float[] {0.3f, 0.4f}), 1.0);
        assertThat(clipped.get(0)).containsExactly(new float[] {0.6f, 0.8f}, within(1e-6f));
        assertThat(clipped.get(1)).containsExactly(0.3f, 0.4f);
    }

    @Test
    void medianNormClipping_adaptsToTheRound() {
        RobustAggregation a = new RobustAggregation(RobustAggregation.Rule.MEAN, 0, -1.0);
        // norms 1, 1, 100: the scaled update is clipped to the median norm 1 before the mean
        float[] combined = a.combine(List.of(new float[] {1, 0}, new float[] {1, 0}, new float[] {100, 0}), new double[] {1, 1, 1});
        assertThat(combined).containsExactly(new float[] {1f, 0f}, within(1e-6f));
    }

    @Test
    void invalidSettings_areRefused() {
        assertThatThrownBy(() -> new RobustAggregation(RobustAggregation.Rule.TRIMMED_MEAN, 0.5, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RobustAggregation(RobustAggregation.Rule.MEAN, 0, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reptile_withTrimmedMeanAndClipping_holdsAgainstTenPercentScaledAndSignFlippedUpdates() {
        SplittableRandom r = new SplittableRandom(8);
        float[] theta = new float[50];
        List<Reply> clean = new ArrayList<>();
        List<Reply> attacked = new ArrayList<>();
        for (int k = 0; k < 20; k++) {
            float[] d = new float[theta.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (1.0 + 0.1 * r.nextGaussian()); // honest devices agree on +1 per coordinate
            }
            clean.add(new Reply("d" + k, d, 10, 1, 0.5f));
            float[] bad = d.clone();
            if (k < 2) { // 10% malicious: sign-flipped and scaled by 30
                for (int i = 0; i < bad.length; i++) {
                    bad[i] *= -30;
                }
            }
            attacked.add(new Reply("d" + k, bad, 10, 1, 0.5f));
        }
        ReptileStrategy plain = new ReptileStrategy(1.0, false, 10, Selection.count(20));
        ReptileStrategy robust = new ReptileStrategy(1.0, false, 10, Selection.count(20),
                new RobustAggregation(RobustAggregation.Rule.TRIMMED_MEAN, 0.1, -2.0));

        float[] reference = plain.aggregate(1, theta, clean, List.of());
        float[] poisoned = plain.aggregate(1, theta, attacked, List.of());
        float[] defended = robust.aggregate(1, theta, attacked, List.of());

        double plainError = distance(poisoned, reference) / io.tinyfed.core.Statistics.l2Norm(reference);
        double robustError = distance(defended, reference) / io.tinyfed.core.Statistics.l2Norm(reference);
        System.out.printf("10%% sign-flipped x30: relative error undefended %.3f, trimmed mean + clipping %.4f%n", plainError,
                robustError);
        assertThat(plainError).as("undefended").isGreaterThan(0.5);
        assertThat(robustError).as("defended").isLessThan(0.05);
        assertThat(robust.name()).isEqualTo("reptile-trimmed-mean-clipped");
    }

    private static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s);
    }
}
