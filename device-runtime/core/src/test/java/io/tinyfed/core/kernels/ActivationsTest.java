package io.tinyfed.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ActivationsTest {

    @Test
    void reluS16_clampsNegativesAndKeepsScale() {
        short[] x = {-5, 0, 7, -32768, 32767};
        short[] y = new short[5];
        Activations.reluS16(x, 0, y, 0, 5);
        assertThat(y).containsExactly((short) 0, (short) 0, (short) 7, (short) 0, (short) 32767);
    }

    @Test
    void tanhS16_goldenAtZeroAndPlusMinusOne() {
        short[] x = {0, 4096, -4096};  // frac 12: 0, 1.0, -1.0
        short[] y = new short[3];
        Activations.tanhS16(x, 0, 12, y, 0, 3);
        // round(tanh(1) * 32768) = 24956
        assertThat(y).containsExactly((short) 0, (short) 24956, (short) -24956);
    }

    @Test
    void sigmoidS16_goldenAtZeroAndOne() {
        short[] x = {0, 2048};  // frac 11
        short[] y = new short[2];
        Activations.sigmoidS16(x, 0, 11, y, 0, 2);
        // round(sigmoid(1) * 32768) = 23955
        assertThat(y).containsExactly((short) 16384, (short) 23955);
    }

    @Test
    void softmaxS16_golden() {
        short[] x = {2048, 0};  // frac 11: logits 1.0, 0.0
        short[] y = new short[2];
        Activations.softmaxS16(x, 0, 11, y, 0, 2);
        // e = [32768, 12055], sum 44823, p = floor((e*32768 + 22411) / 44823)
        assertThat(y).containsExactly((short) 23955, (short) 8813);

        short[] equal = {100, 100, 100, 100};
        short[] p = new short[4];
        Activations.softmaxS16(equal, 0, 5, p, 0, 4);
        assertThat(p).containsOnly((short) 8192);
    }

    @Test
    void softmaxF32_isNormalisedAndShiftInvariant() {
        float[] x = {1f, 0f, 1000f, 999f};
        float[] y = new float[4];
        Activations.softmaxF32(x, 0, y, 0, 2);
        Activations.softmaxF32(x, 2, y, 2, 2);
        assertThat(y[0]).isCloseTo(0.7310586f, within(1e-6f));
        assertThat(y[2]).isCloseTo(0.7310586f, within(1e-6f));
        assertThat(y[0] + y[1]).isCloseTo(1f, within(1e-6f));
    }

    @Test
    void tanhAndSigmoidBackwardS16_areExactProducts() {
        short[] y = {16384, 0};          // tanh outputs 0.5 and 0
        short[] g = {1000, -1000};
        int[] out = new int[2];
        Activations.tanhBackwardS16(y, 0, g, 0, out, 0, 2);
        // 1 - 0.25 = 0.75 -> 24576 in Q0.15
        assertThat(out).containsExactly(1000 * 24576, -1000 * 32768);
        Activations.sigmoidBackwardS16(y, 0, g, 0, out, 0, 2);
        // 0.5 * 0.5 = 0.25 -> 8192
        assertThat(out).containsExactly(1000 * 8192, 0);
    }

    @Test
    void reluBackwardS16_masksWhereOutputIsNotPositive() {
        short[] y = {0, 3, -1};
        short[] g = {5, 6, 7};
        Activations.reluBackwardS16(y, 0, g, 0, 3);
        assertThat(g).containsExactly((short) 0, (short) 6, (short) 0);
    }

    @Test
    void normalizeS16_fillsTheInt16RangeAndReportsTheNewScale() {
        int[] v = {100, -300, 0};
        short[] out = new short[3];
        int frac = Kernels.normalizeS16(v, 0, 3, 20, out, 0);
        // max 300 has 9 bits -> shift left by 6
        assertThat(frac).isEqualTo(26);
        assertThat(out).containsExactly((short) 6400, (short) -19200, (short) 0);

        int[] big = {70000, -1};
        frac = Kernels.normalizeS16(big, 0, 2, 10, out, 0);
        // 70000 has 17 bits -> shift right by 2 with rounding
        assertThat(frac).isEqualTo(8);
        assertThat(out[0]).isEqualTo((short) 17500);
        assertThat(out[1]).isEqualTo((short) 0);

        int[] tiny = {1};
        frac = Kernels.normalizeS16(tiny, 0, 1, 28, out, 0);
        // would need frac 42: capped at MAX_GRAD_FRAC = 30
        assertThat(frac).isEqualTo(30);
        assertThat(out[0]).isEqualTo((short) 4);
    }
}
