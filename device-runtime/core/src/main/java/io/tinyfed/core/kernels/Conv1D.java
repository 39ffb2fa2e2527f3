package io.tinyfed.core.kernels;

import io.tinyfed.core.fixed.FixedPoint;

/**
 * 1-D convolution kernels, stride 1, valid padding. Input {@code [len][cin]}, output
 * {@code [len-k+1][filters]}, weights {@code [filters][k][cin]} (channels-last, as in TFLite).
 */
public final class Conv1D {
    private Conv1D() {
    }

    public static void forwardF32(float[] w, int wOff, float[] b, int bOff, float[] x, int xOff, float[] y, int yOff,
                                  int len, int cin, int filters, int k) {
        int outLen = len - k + 1;
        int window = k * cin;
        for (int t = 0; t < outLen; t++) {
            int xs = xOff + t * cin;
            for (int f = 0; f < filters; f++) {
                float acc = b[bOff + f];
                int ws = wOff + f * window;
                for (int i = 0; i < window; i++) {
                    acc += w[ws + i] * x[xs + i];
                }
                y[yOff + t * filters + f] = acc;
            }
        }
    }

    public static void backwardInputF32(float[] w, int wOff, float[] dy, int dyOff, float[] dx, int dxOff,
                                        int len, int cin, int filters, int k) {
        int outLen = len - k + 1;
        int window = k * cin;
        for (int i = 0; i < len * cin; i++) {
            dx[dxOff + i] = 0f;
        }
        for (int t = 0; t < outLen; t++) {
            int xs = dxOff + t * cin;
            for (int f = 0; f < filters; f++) {
                float g = dy[dyOff + t * filters + f];
                if (g == 0f) {
                    continue;
                }
                int ws = wOff + f * window;
                for (int i = 0; i < window; i++) {
                    dx[xs + i] += w[ws + i] * g;
                }
            }
        }
    }

    /** Adds {@code scale * dL/dW} and {@code scale * dL/db} to {@code target} (see Dense.addGradientF32). */
    public static void addGradientF32(float[] target, int wOff, int bOff, float[] x, int xOff, float[] dy, int dyOff,
                                      int len, int cin, int filters, int k, float scale) {
        int outLen = len - k + 1;
        int window = k * cin;
        for (int t = 0; t < outLen; t++) {
            int xs = xOff + t * cin;
            for (int f = 0; f < filters; f++) {
                float g = dy[dyOff + t * filters + f] * scale;
                if (g == 0f) {
                    continue;
                }
                int ws = wOff + f * window;
                for (int i = 0; i < window; i++) {
                    target[ws + i] += g * x[xs + i];
                }
                target[bOff + f] += g;
            }
        }
    }

    /** S16 forward, same arithmetic as {@link Dense#forwardS16}. Returns the saturation count. */
    public static int forwardS16(short[] w, int wOff, int wFrac, short[] b, int bOff, int bFrac,
                                 short[] x, int xOff, int xFrac, short[] y, int yOff, int yFrac,
                                 int len, int cin, int filters, int k) {
        int outLen = len - k + 1;
        int window = k * cin;
        int accFrac = wFrac + xFrac;
        int biasShift = bFrac - accFrac;
        int outShift = accFrac - yFrac;
        int saturated = 0;
        for (int t = 0; t < outLen; t++) {
            int xs = xOff + t * cin;
            for (int f = 0; f < filters; f++) {
                long acc = FixedPoint.roundingShift(b[bOff + f], biasShift);
                int ws = wOff + f * window;
                for (int i = 0; i < window; i++) {
                    acc += w[ws + i] * x[xs + i];
                }
                long r = outShift >= 0 ? FixedPoint.roundingShift(acc, outShift) : FixedPoint.shiftLeftSat(acc, -outShift);
                if (FixedPoint.overflows16(r)) {
                    saturated++;
                }
                y[yOff + t * filters + f] = FixedPoint.saturate16(r);
            }
        }
        return saturated;
    }

    /**
     * S16 input gradient: for every input element {@code (p, c)} the int64 sum over
     * {@code t = p-k+1..p} (valid) and filters of {@code W[f][p-t][c] * dy[t][f]}, stored like
     * {@link Dense#backwardInputS16}.
     */
    public static void backwardInputS16(short[] w, int wOff, short[] dy, int dyOff, int[] dx, int dxOff,
                                        int len, int cin, int filters, int k) {
        int outLen = len - k + 1;
        int window = k * cin;
        for (int p = 0; p < len; p++) {
            int tFrom = Math.max(0, p - k + 1);
            int tTo = Math.min(outLen - 1, p);
            for (int c = 0; c < cin; c++) {
                long acc = 0;
                for (int t = tFrom; t <= tTo; t++) {
                    int wi = wOff + (p - t) * cin + c;
                    int di = dyOff + t * filters;
                    for (int f = 0; f < filters; f++) {
                        acc += w[wi + f * window] * dy[di + f];
                    }
                }
                dx[dxOff + p * cin + c] = FixedPoint.saturate32(FixedPoint.roundingShift(acc, Kernels.DX_PRESHIFT));
            }
        }
    }

    /**
     * S16 SGD step. A weight's gradient is summed over output positions in int64 first, so each
     * weight gets exactly one update: for each filter whose {@code dy} is not zero everywhere, the
     * window elements in order, then the bias (element {@code window}), with one draw per filter.
     * Rounding and noise follow {@link Dense}'s direct update; {@code sink == null} lands updates
     * in the int16 weights and counts saturations in {@code saturations[satIndex]} (weights) and
     * {@code [satIndex + 1]} (bias), otherwise {@code sink} receives them.
     */
    public static void updateS16(short[] w, int wOff, int wFrac, int bOff, int bFrac, short[] x, int xOff, int xFrac,
                                 short[] dy, int dyOff, int dyFrac, int len, int cin, int filters, int k, int lrQ,
                                 int[] rng, int rngIndex, int[] saturations, int satIndex,
                                 WeightUpdate sink, int trainableBase) {
        int outLen = len - k + 1;
        int window = k * cin;
        int wShift = dyFrac + xFrac + Kernels.LR_FRAC - wFrac;
        int bShift = dyFrac + Kernels.LR_FRAC - bFrac;
        int weights = filters * window;
        for (int f = 0; f < filters; f++) {
            long gsum = 0;
            boolean any = false;
            for (int t = 0; t < outLen; t++) {
                int g = dy[dyOff + t * filters + f];
                gsum += g;
                any |= g != 0;
            }
            if (!any) {
                continue;
            }
            int draw = rng == null ? 0 : (rng[rngIndex] = StepRounding.xorshift32(rng[rngIndex]));
            int ws = wOff + f * window;
            for (int i = 0; i <= window; i++) {
                long update;
                int shift;
                int index;
                if (i < window) {
                    long acc = 0;
                    for (int t = 0; t < outLen; t++) {
                        acc += dy[dyOff + t * filters + f] * x[xOff + t * cin + i];
                    }
                    update = acc * lrQ;
                    shift = wShift;
                    index = ws + i;
                } else {
                    update = gsum * lrQ;
                    shift = bShift;
                    index = bOff + f;
                }
                int noise = StepRounding.noise(draw, i);
                if (sink != null) {
                    sink.apply(w, index, update, shift, trainableBase + (i < window ? f * window + i : weights + f), noise);
                    continue;
                }
                long step = rng != null ? StepRounding.stochastic(update, shift, noise) : StepRounding.nearest(update, shift);
                long v = w[index] - step;
                w[index] = FixedPoint.saturate16(v);
                if (FixedPoint.overflows16(v)) {
                    saturations[satIndex + (i < window ? 0 : 1)]++;
                }
            }
        }
    }
}
