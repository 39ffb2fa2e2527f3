package io.tinyfed.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden vectors worked out by hand (see comments); integer paths exact, float within 1e-6. */
class DenseTest {
    // W (Q1.14), 6 rows x 2 inputs          real
    private static final short[] W = {
        16384, -8192,   // row 0:  1.0, -0.5
        4096, 32767,    // row 1:  0.25, ~2.0
        1, 0,           // row 2:  acc 2048 -> 0.25 LSB rounds to 0
        2, 0,           // row 3:  acc 4096 -> exactly half rounds up to 1
        -2, 0,          // row 4:  acc -4096 -> minus half rounds up to 0
        3, 0,           // row 5:  acc 6144 -> 0.75 rounds to 1
    };
    // bias Q5.10: 1.0, -2.0, 0...
    private static final short[] B = {1024, -2048, 0, 0, 0, 0};
    // x Q4.11: 1.0, -0.5
    private static final short[] X = {2048, -1024};

    @Test
    void forwardS16_matchesGoldenVectorIncludingRoundingEdges() {
        short[] actual = new short[6];
        int saturated = Dense.forwardS16(W, 0, 14, B, 0, 10, X, 0, 11, actual, 0, 12, 2, 6);
        // row 0: 1*1 + (-0.5)(-0.5) + 1 = 2.25 -> 9216; row 1: 0.25 - 1.0 - 2 = -2.75 -> -11264
        short[] expected = {9216, -11264, 0, 1, 0, 1};
        assertThat(actual).containsExactly(expected);
        assertThat(saturated).isZero();
    }

    @Test
    void forwardS16_saturatesAndCountsOverflow() {
        short[] w = {32767, -32768, 1, 1};
        short[] b = {0, 0};
        short[] x = {32767, -32768};
        short[] actual = new short[2];
        int saturated = Dense.forwardS16(w, 0, 14, b, 0, 14, x, 0, 11, actual, 0, 12, 2, 2);
        // row 0: 32767*32767 + 32768*32768 = 2147418113 at frac 25 -> 262136 at frac 12 -> clamps
        assertThat(actual).containsExactly((short) 32767, (short) 0);
        assertThat(saturated).isEqualTo(1);
    }

    @Test
    void forwardS16_usesOffsetsIntoOneArena() {
        short[] arena = new short[40];
        System.arraycopy(W, 0, arena, 3, 4);
        System.arraycopy(B, 0, arena, 10, 2);
        System.arraycopy(X, 0, arena, 20, 2);
        Dense.forwardS16(arena, 3, 14, arena, 10, 10, arena, 20, 11, arena, 30, 12, 2, 2);
        assertThat(new short[] {arena[30], arena[31]}).containsExactly((short) 9216, (short) -11264);
    }

    @Test
    void forwardF32_matchesGoldenVector() {
        float[] w = {1f, -0.5f, 0.25f, 2f};
        float[] b = {1f, -2f};
        float[] x = {1f, -0.5f};
        float[] y = new float[2];
        Dense.forwardF32(w, 0, b, 0, x, 0, y, 0, 2, 2);
        assertThat(y[0]).isCloseTo(2.25f, within(1e-6f));
        assertThat(y[1]).isCloseTo(-2.75f, within(1e-6f));
    }

    @Test
    void backwardInputS16_isTransposedProductPreShifted() {
        short[] dy = {1000, -2000};
        int[] actual = new int[2];
        Dense.backwardInputS16(W, 0, dy, 0, actual, 0, new int[2], 0, 2, 2);
        // i=0: 16384*1000 + 4096*(-2000) = 8192000 -> /2^16 = 125
        // i=1: -8192*1000 + 32767*(-2000) = -73726000 -> /2^16 = -1124.97 -> -1125
        assertThat(actual).containsExactly(125, -1125);
    }

    @Test
    void backwardInputS16_splitSumsEqualTheRounded64BitSumIncludingExtremes() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int trial = 0; trial < 200; trial++) {
            int in = 1 + r.nextInt(12);
            int out = 1 + r.nextInt(trial < 100 ? 12 : 3000);
            short[] w = new short[in * out];
            short[] dy = new short[out];
            for (int k = 0; k < w.length; k++) {
                w[k] = trial % 3 == 0 ? Short.MIN_VALUE : (short) r.nextInt(65536);
            }
            for (int j = 0; j < out; j++) {
                dy[j] = trial % 3 == 0 ? Short.MIN_VALUE : (short) r.nextInt(65536);
            }
            int[] actual = new int[in];
            Dense.backwardInputS16(w, 0, dy, 0, actual, 0, new int[in], 0, in, out);
            for (int i = 0; i < in; i++) {
                long sum = 0;
                for (int j = 0; j < out; j++) {
                    sum += (long) w[j * in + i] * dy[j];
                }
                assertThat(actual[i]).as("trial %d, dx[%d]", trial, i).isEqualTo((int) ((sum + 32768) >> 16));
            }
        }
    }

    @Test
    void backwardInputF32_isTransposedProduct() {
        float[] w = {1f, -0.5f, 0.25f, 2f};
        float[] dy = {0.5f, -1f};
        float[] dx = new float[2];
        Dense.backwardInputF32(w, 0, dy, 0, dx, 0, 2, 2);
        assertThat(dx[0]).isCloseTo(0.5f - 0.25f, within(1e-6f));
        assertThat(dx[1]).isCloseTo(-0.25f - 2f, within(1e-6f));
    }

    @Test
    void updateS16_sendsExactProductsShiftsAndNoiseRowByRowSkippingZeroRows() {
        short[] w = {10, 20, 30, 40, 5, 6};   // W [2][2] then bias [2]
        short[] x = {3, -4};                  // frac 11
        short[] dy = {0, 7};                  // frac 20, row 0 has zero gradient
        List<long[]> calls = new ArrayList<>();
        WeightUpdate recorder = (weights, index, update, shift, trainable, noise) ->
                calls.add(new long[] {index, update, shift, trainable, noise});
        int[] rng = {1};
        Dense.updateS16(w, 0, 14, 4, 12, x, 0, 11, dy, 0, 20, 2, 2, 655, rng, 0, recorder, 100);
        // wShift = 20 + 11 + 16 - 14 = 33, bShift = 20 + 16 - 12 = 24; one draw (270369) for row 1,
        // noise of element k = (270369 + k * 40503) & 0xFFFF
        assertThat(rng[0]).isEqualTo(270369);
        assertThat(calls).containsExactly(
                new long[] {2, 7L * 655 * 3, 33, 102, 270369 & 0xFFFF},
                new long[] {3, 7L * 655 * -4, 33, 103, (270369 + 40503) & 0xFFFF},
                new long[] {5, 7L * 655, 24, 105, (270369 + 2 * 40503) & 0xFFFF});
    }

    @Test
    void updateS16Direct_roundsEveryElementAndCountsSaturation() {
        short[] w = {100, 32767, 0, 0};        // W [1][2] then bias [1], spare
        short[] x = {1 << 11, 1 << 11};        // 1.0 at frac 11
        short[] dy = {-16384};                 // -0.5 at frac 15
        int[] hits = new int[2];
        // lr 0.5 (lrQ 32768): update = -0.5 * 1.0 * 0.5 = -0.25 -> +0.25 at weight frac 0 rounds to 0;
        // at weight frac 4, +0.25 is 4 LSB
        Dense.updateS16(w, 0, 4, 2, 4, x, 0, 11, dy, 0, 15, 2, 1, 32768, null, 0, hits, 0, new int[2], 0);
        assertThat(w).containsExactly((short) 104, (short) 32767, (short) 4, (short) 0);
        assertThat(hits).containsExactly(1, 0);
    }

    @Test
    void addGradientF32_appliesScaledOuterProduct() {
        float[] p = {1f, 1f, 1f, 1f, 0f, 0f};
        float[] x = {2f, -1f};
        float[] dy = {0.5f, 0f};
        Dense.addGradientF32(p, 0, 4, x, 0, dy, 0, 2, 2, -0.1f);
        assertThat(p).containsExactly(new float[] {0.9f, 1.05f, 1f, 1f, -0.05f, 0f}, within(1e-6f));
    }
}
