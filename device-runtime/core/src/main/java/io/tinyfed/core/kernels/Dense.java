package io.tinyfed.core.kernels;

import io.tinyfed.core.fixed.FixedPoint;

/**
 * Fully connected kernels, {@code y[j] = sum_i W[j][i] x[i] + b[j]} with W row-major
 * {@code [out][in]}. Static, allocation-free, operating on caller-owned arrays and offsets
 * (normally all into one arena array). S16 kernels follow docs/fixed-point.md exactly.
 */
public final class Dense {
    private Dense() {
    }

    public static void forwardF32(float[] w, int wOff, float[] b, int bOff, float[] x, int xOff,
                                  float[] y, int yOff, int in, int out) {
        for (int j = 0; j < out; j++) {
            float acc = b[bOff + j];
            int row = wOff + j * in;
            for (int i = 0; i < in; i++) {
                acc += w[row + i] * x[xOff + i];
            }
            y[yOff + j] = acc;
        }
    }

    /** {@code dx = W^T dy}. */
    public static void backwardInputF32(float[] w, int wOff, float[] dy, int dyOff, float[] dx, int dxOff,
                                        int in, int out) {
        for (int i = 0; i < in; i++) {
            dx[dxOff + i] = 0f;
        }
        for (int j = 0; j < out; j++) {
            float g = dy[dyOff + j];
            if (g == 0f) {
                continue;
            }
            int row = wOff + j * in;
            for (int i = 0; i < in; i++) {
                dx[dxOff + i] += w[row + i] * g;
            }
        }
    }

    /**
     * Weight gradient {@code dW = dy x^T}, {@code db = dy}, scaled by {@code scale} and added to
     * {@code target} (the weights themselves with {@code scale = -lr}, or an accumulator with 1).
     */
    public static void addGradientF32(float[] target, int wOff, int bOff, float[] x, int xOff, float[] dy, int dyOff,
                                      int in, int out, float scale) {
        for (int j = 0; j < out; j++) {
            float g = dy[dyOff + j] * scale;
            if (g == 0f) {
                continue;
            }
            int row = wOff + j * in;
            for (int i = 0; i < in; i++) {
                target[row + i] += g * x[xOff + i];
            }
            target[bOff + j] += g;
        }
    }

    /**
     * S16 forward. Accumulates in int64 at {@code wFrac + xFrac} fractional bits, aligns the bias to
     * that, then shifts to {@code yFrac} with round half up and saturates to int16.
     *
     * @return number of outputs that saturated
     */
    public static int forwardS16(short[] w, int wOff, int wFrac, short[] b, int bOff, int bFrac,
                                 short[] x, int xOff, int xFrac, short[] y, int yOff, int yFrac, int in, int out) {
        int accFrac = wFrac + xFrac;
        int biasShift = bFrac - accFrac;
        int outShift = accFrac - yFrac;
        int saturated = 0;
        for (int j = 0; j < out; j++) {
            long acc = FixedPoint.roundingShift(b[bOff + j], biasShift);
            int row = wOff + j * in;
            for (int i = 0; i < in; i++) {
                acc += w[row + i] * x[xOff + i];
            }
            long r = outShift >= 0 ? FixedPoint.roundingShift(acc, outShift) : FixedPoint.shiftLeftSat(acc, -outShift);
            if (FixedPoint.overflows16(r)) {
                saturated++;
            }
            y[yOff + j] = FixedPoint.saturate16(r);
        }
        return saturated;
    }

    /**
     * S16 input gradient {@code dx[i] = roundingShift(sum_j W[j][i] dy[j], DX_PRESHIFT)}, exact, at
     * {@code wFrac + dyFrac - DX_PRESHIFT} fractional bits. Computed row by row (skipping rows with
     * {@code dy[j] == 0}) without 64-bit sums: each product {@code p} (|p| <= 2^30) is split into
     * {@code p >> 16} summed in {@code dx} and {@code p & 0xFFFF} summed in {@code low}; then
     * {@code dx = high + ((low + 2^15) >> 16)}, which equals the rounded 64-bit sum for
     * {@code out <= 32767} rows (checked when the layer is built).
     */
    public static void backwardInputS16(short[] w, int wOff, short[] dy, int dyOff, int[] dx, int dxOff,
                                        int[] low, int lowOff, int in, int out) {
        for (int i = 0; i < in; i++) {
            dx[dxOff + i] = 0;
            low[lowOff + i] = 0;
        }
        for (int j = 0; j < out; j++) {
            int g = dy[dyOff + j];
            if (g == 0) {
                continue;
            }
            int row = wOff + j * in;
            for (int i = 0; i < in; i++) {
                int p = w[row + i] * g;
                dx[dxOff + i] += p >> 16;
                low[lowOff + i] += p & 0xFFFF;
            }
        }
        int half = 1 << (Kernels.DX_PRESHIFT - 1);
        for (int i = 0; i < in; i++) {
            dx[dxOff + i] += (low[lowOff + i] + half) >> Kernels.DX_PRESHIFT;
        }
    }

    /**
     * S16 SGD step straight into the int16 weights (the default mode: no master weights, no
     * accumulation). Rows with {@code dy[j] == 0} are skipped, and so are elements with
     * {@code x[i] == 0} (their update is 0 under either rounding). For every other row, each weight
     * {@code i} and then the bias (element {@code in}) gets {@code w = sat16(w - round(update, shift))}
     * with the exact {@code update = lrQ * dy[j] * x[i]} (bias: {@code lrQ * dy[j]}). Round is
     * {@link StepRounding#nearest}, or with {@code rng != null} and a positive shift
     * {@link FixedPoint#stochasticShift} with noise {@link StepRounding#noise}{@code (draw, element)},
     * one xorshift32 draw of the state {@code rng[rngIndex]} per row.
     *
     * @param lrQ         learning rate with {@link Kernels#LR_FRAC} fractional bits
     * @param saturations {@code saturations[satIndex]} counts weights that saturated, {@code [satIndex + 1]} biases
     * @param nonZero     scratch of at least {@code in} ints (receives the indices of non-zero inputs)
     */
    public static void updateS16(short[] w, int wOff, int wFrac, int bOff, int bFrac, short[] x, int xOff, int xFrac,
                                 short[] dy, int dyOff, int dyFrac, int in, int out, int lrQ, int[] rng, int rngIndex,
                                 int[] saturations, int satIndex, int[] nonZero, int nonZeroOff) {
        int wShift = dyFrac + xFrac + Kernels.LR_FRAC - wFrac;
        int bShift = dyFrac + Kernels.LR_FRAC - bFrac;
        boolean stochastic = rng != null;
        int state = stochastic ? rng[rngIndex] : 0;
        int weightHits = 0;
        int biasHits = 0;
        // The inputs are the same for every row: list the non-zero ones once.
        int nz = 0;
        for (int i = 0; i < in; i++) {
            if (x[xOff + i] != 0) {
                nonZero[nonZeroOff + nz++] = i;
            }
        }
        for (int j = 0; j < out; j++) {
            int g = dy[dyOff + j];
            if (g == 0) {
                continue;
            }
            long gl = (long) g * lrQ;
            int row = wOff + j * in;
            if (stochastic) {
                state = StepRounding.xorshift32(state);
            }
            for (int k = 0; k < nz; k++) {
                int i = nonZero[nonZeroOff + k];
                long update = gl * x[xOff + i];
                long step = stochastic ? StepRounding.stochastic(update, wShift, StepRounding.noise(state, i))
                        : StepRounding.nearest(update, wShift);
                long v = w[row + i] - step;
                short clamped = FixedPoint.saturate16(v);
                weightHits += clamped != v ? 1 : 0;
                w[row + i] = clamped;
            }
            long step = stochastic ? StepRounding.stochastic(gl, bShift, StepRounding.noise(state, in))
                    : StepRounding.nearest(gl, bShift);
            long v = w[bOff + j] - step;
            short clamped = FixedPoint.saturate16(v);
            biasHits += clamped != v ? 1 : 0;
            w[bOff + j] = clamped;
        }
        if (stochastic) {
            rng[rngIndex] = state;
        }
        saturations[satIndex] += weightHits;
        saturations[satIndex + 1] += biasHits;
    }

    /**
     * S16 SGD step through a {@link WeightUpdate} (master weights or accumulation): same order, row
     * skipping and per-row draw as the direct overload; {@code sink} decides how each exact update
     * lands and receives the element's noise.
     *
     * @param trainableBase trainable index of {@code w[wOff]}; the bias follows the weights
     */
    public static void updateS16(short[] w, int wOff, int wFrac, int bOff, int bFrac, short[] x, int xOff, int xFrac,
                                 short[] dy, int dyOff, int dyFrac, int in, int out, int lrQ, int[] rng, int rngIndex,
                                 WeightUpdate sink, int trainableBase) {
        int wShift = dyFrac + xFrac + Kernels.LR_FRAC - wFrac;
        int bShift = dyFrac + Kernels.LR_FRAC - bFrac;
        int weights = in * out;
        for (int j = 0; j < out; j++) {
            int g = dy[dyOff + j];
            if (g == 0) {
                continue;
            }
            int draw = rng == null ? 0 : (rng[rngIndex] = StepRounding.xorshift32(rng[rngIndex]));
            long gl = (long) g * lrQ;
            int row = wOff + j * in;
            for (int i = 0; i < in; i++) {
                int xi = x[xOff + i];
                if (xi != 0) {
                    sink.apply(w, row + i, gl * xi, wShift, trainableBase + j * in + i, StepRounding.noise(draw, i));
                }
            }
            sink.apply(w, bOff + j, gl, bShift, trainableBase + weights + j, StepRounding.noise(draw, in));
        }
    }
}
