package io.tinyfed.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class Conv1DTest {
    // length 4, 1 channel, 2 filters, kernel 2.  f0 = [1, -1], f1 = [0.5, 0.5], bias [0, 1]
    // x = [1, 2, 3, 4] -> y[t][f] = [-1, 2.5], [-1, 3.5], [-1, 4.5]

    @Test
    void forwardF32_matchesGoldenVector() {
        float[] w = {1f, -1f, 0.5f, 0.5f};
        float[] b = {0f, 1f};
        float[] x = {1f, 2f, 3f, 4f};
        float[] y = new float[6];
        Conv1D.forwardF32(w, 0, b, 0, x, 0, y, 0, 4, 1, 2, 2);
        assertThat(y).containsExactly(new float[] {-1f, 2.5f, -1f, 3.5f, -1f, 4.5f}, within(1e-6f));
    }

    @Test
    void forwardS16_matchesGoldenVectorExactly() {
        short[] w = {16384, -16384, 8192, 8192};  // Q1.14
        short[] b = {0, 16384};                   // Q1.14
        short[] x = {2048, 4096, 6144, 8192};     // Q4.11
        short[] y = new short[6];
        int saturated = Conv1D.forwardS16(w, 0, 14, b, 0, 14, x, 0, 11, y, 0, 11, 4, 1, 2, 2);
        assertThat(y).containsExactly((short) -2048, (short) 5120, (short) -2048, (short) 7168, (short) -2048,
                (short) 9216);
        assertThat(saturated).isZero();
    }

    @Test
    void forwardS16_handlesSeveralChannels() {
        // length 2, 2 channels, 1 filter, kernel 2: y = sum of all four products
        short[] w = {1, 2, 3, 4};
        short[] b = {0};
        short[] x = {5, 6, 7, 8};
        short[] y = new short[1];
        Conv1D.forwardS16(w, 0, 0, b, 0, 0, x, 0, 0, y, 0, 0, 2, 2, 1, 2);
        assertThat(y[0]).isEqualTo((short) (5 + 12 + 21 + 32));
    }

    @Test
    void backwardInputS16_sumsOverEveryWindowThatTouchesAnInput() {
        short[] w = {16384, -16384, 8192, 8192};
        short[] dy = {1, 2, 3, 4, 5, 6};  // [t][f]
        int[] dx = new int[4];
        Conv1D.backwardInputS16(w, 0, dy, 0, dx, 0, 4, 1, 2, 2);
        // dx[p] = sum_t,f W[f][p-t] dy[t][f], then /2^16 rounded
        long[] raw = {
            16384L * 1 + 8192L * 2,
            -16384L * 1 + 8192L * 2 + 16384L * 3 + 8192L * 4,
            -16384L * 3 + 8192L * 4 + 16384L * 5 + 8192L * 6,
            -16384L * 5 + 8192L * 6,
        };
        for (int p = 0; p < 4; p++) {
            assertThat(dx[p]).as("dx[%d]", p).isEqualTo((int) ((raw[p] + 32768) >> 16));
        }
    }

    @Test
    void backwardInputF32_matchesManualSum() {
        float[] w = {1f, -1f, 0.5f, 0.5f};
        float[] dy = {1f, 2f, 3f, 4f, 5f, 6f};
        float[] dx = new float[4];
        Conv1D.backwardInputF32(w, 0, dy, 0, dx, 0, 4, 1, 2, 2);
        assertThat(dx).containsExactly(new float[] {1f + 1f, -1f + 1f + 3f + 2f, -3f + 2f + 5f + 3f, -5f + 3f},
                within(1e-6f));
    }

    @Test
    void updateS16_sumsOverTimeThenSendsOneUpdatePerWeightWithItsNoise() {
        // length 3, 1 channel, 1 filter, kernel 2: outputs t = 0, 1
        short[] w = {0, 0, 0};                  // W [1][2] then bias [1]
        short[] x = {1, 2, 3};
        short[] dy = {5, -7};
        java.util.List<long[]> calls = new java.util.ArrayList<>();
        WeightUpdate recorder = (weights, index, update, shift, trainable, noise) ->
                calls.add(new long[] {index, update, shift, trainable, noise});
        int[] rng = {1};
        Conv1D.updateS16(w, 0, 10, 2, 12, x, 0, 11, dy, 0, 20, 3, 1, 1, 2, 3, rng, 0, new int[2], 0, recorder, 40);
        // w0: 3 * (5*1 + -7*2) = -27; w1: 3 * (5*2 + -7*3) = -33; bias: 3 * (5 - 7) = -6
        // shifts: 20 + 11 + 16 - 10 = 37 and 20 + 16 - 12 = 24; one draw (270369) for the filter
        assertThat(calls).containsExactly(
                new long[] {0, -27, 37, 40, 270369 & 0xFFFF},
                new long[] {1, -33, 37, 41, (270369 + 40503) & 0xFFFF},
                new long[] {2, -6, 24, 42, (270369 + 2 * 40503) & 0xFFFF});
    }
}
