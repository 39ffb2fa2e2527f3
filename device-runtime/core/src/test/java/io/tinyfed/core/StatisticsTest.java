package io.tinyfed.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StatisticsTest {
    @Test
    void median_isTheMiddleValueOrTheMeanOfTheMiddleTwo_andLeavesItsInputAsItWas() {
        double[] odd = {5, 1, 3};
        double[] even = {4, 1, 3, 2};

        assertThat(Statistics.median(odd)).isEqualTo(3.0);
        assertThat(Statistics.median(even)).isEqualTo(2.5);
        assertThat(Statistics.median(new double[0])).isNaN();
        assertThat(odd).containsExactly(5, 1, 3);
    }

    @Test
    void l2Norm_sumsInDouble() {
        assertThat(Statistics.l2Norm(new float[] {3f, 4f})).isEqualTo(5.0);
        // squares past float's range: summed in double, they do not overflow
        assertThat(Statistics.l2Norm(new float[] {3e30f, 3e30f}) / (Math.sqrt(2) * (double) 3e30f))
                .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(Statistics.l2Norm(new float[0])).isZero();
    }
}
