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
     * S16 input gradient {@code dx = W^T dy}: int64 sums at {@code wFrac + dyFrac} fractional bits,
     * stored as int32 after a rounding shift by {@link Kernels#DX_PRESHIFT}, saturating.
     */
    public static void backwardInputS16(short[] w, int wOff, short[] dy, int dyOff, int[] dx, int dxOff,
                                        int in, int out) {
        for (int i = 0; i < in; i++) {
            long acc = 0;
            for (int j = 0; j < out; j++) {
                acc += w[wOff + j * in + i] * dy[dyOff + j];
            }
            dx[dxOff + i] = FixedPoint.saturate32(FixedPoint.roundingShift(acc, Kernels.DX_PRESHIFT));
        }
    }

    /**
     * S16 SGD step: for every row with {@code dy[j] != 0}, in row order, weight updates
     * {@code lrQ * dy[j] * x[i]} then the bias update {@code lrQ * dy[j]} go to {@code sink}.
     *
     * @param lrQ learning rate with {@link Kernels#LR_FRAC} fractional bits
     * @param trainableBase trainable index of {@code w[wOff]}; the bias follows the weights
     */
    public static void updateS16(short[] w, int wOff, int wFrac, int bOff, int bFrac, short[] x, int xOff, int xFrac,
                                 short[] dy, int dyOff, int dyFrac, int in, int out, int lrQ,
                                 WeightUpdate sink, int trainableBase) {
        int wShift = dyFrac + xFrac + Kernels.LR_FRAC - wFrac;
        int bShift = dyFrac + Kernels.LR_FRAC - bFrac;
        int weights = in * out;
        for (int j = 0; j < out; j++) {
            int g = dy[dyOff + j];
            if (g == 0) {
                continue;
            }
            long gl = (long) g * lrQ;
            int row = wOff + j * in;
            for (int i = 0; i < in; i++) {
                sink.apply(w, row + i, gl * x[xOff + i], wShift, trainableBase + j * in + i);
            }
            sink.apply(w, bOff + j, gl, bShift, trainableBase + weights + j);
        }
    }
}
