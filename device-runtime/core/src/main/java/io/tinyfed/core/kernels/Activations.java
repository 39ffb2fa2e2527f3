package io.tinyfed.core.kernels;

import io.tinyfed.core.fixed.ActivationTables;
import io.tinyfed.core.fixed.FixedPoint;

/**
 * Nonlinearity kernels, forward and backward, F32 and S16. S16 tanh, sigmoid and softmax produce
 * Q0.15 outputs from {@link ActivationTables}; ReLU keeps its input's scale. Backward kernels take
 * the layer's output {@code y} (all derivatives here are functions of the output).
 */
public final class Activations {
    private Activations() {
    }

    public static void reluF32(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            y[yOff + i] = v > 0f ? v : 0f;
        }
    }

    public static void tanhF32(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = (float) Math.tanh(x[xOff + i]);
        }
    }

    public static void sigmoidF32(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = (float) (1.0 / (1.0 + Math.exp(-x[xOff + i])));
        }
    }

    public static void softmaxF32(float[] x, int xOff, float[] y, int yOff, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[xOff + i]);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[xOff + i] - max);
            y[yOff + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) {
            y[yOff + i] *= inv;
        }
    }

    /** In place on {@code g}: {@code g *= (y > 0)}. */
    public static void reluBackwardF32(float[] y, int yOff, float[] g, int gOff, int n) {
        for (int i = 0; i < n; i++) {
            if (!(y[yOff + i] > 0f)) {
                g[gOff + i] = 0f;
            }
        }
    }

    /** In place on {@code g}: {@code g *= 1 - y^2}. */
    public static void tanhBackwardF32(float[] y, int yOff, float[] g, int gOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = y[yOff + i];
            g[gOff + i] *= 1f - v * v;
        }
    }

    /** In place on {@code g}: {@code g *= y (1 - y)}. */
    public static void sigmoidBackwardF32(float[] y, int yOff, float[] g, int gOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = y[yOff + i];
            g[gOff + i] *= v * (1f - v);
        }
    }

    /** ReLU keeps the input's fractional bits. */
    public static void reluS16(short[] x, int xOff, short[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            short v = x[xOff + i];
            y[yOff + i] = v > 0 ? v : 0;
        }
    }

    /** Input with {@code xFrac} bits is requantised to Q4.11 (rounding, saturating), output Q0.15. */
    public static void tanhS16(short[] x, int xOff, int xFrac, short[] y, int yOff, int n) {
        int shift = xFrac - ActivationTables.INPUT_FRAC;
        for (int i = 0; i < n; i++) {
            y[yOff + i] = ActivationTables.tanh(FixedPoint.roundingShiftSat16(x[xOff + i], shift));
        }
    }

    public static void sigmoidS16(short[] x, int xOff, int xFrac, short[] y, int yOff, int n) {
        int shift = xFrac - ActivationTables.INPUT_FRAC;
        for (int i = 0; i < n; i++) {
            y[yOff + i] = ActivationTables.sigmoid(FixedPoint.roundingShiftSat16(x[xOff + i], shift));
        }
    }

    /**
     * S16 softmax: {@code z = x - max(x)} in int32, requantised to Q4.11 (saturating at -16),
     * {@code e = exp(z)} in Q0.15 from the table, {@code p = floor((e * 32768 + sum/2) / sum)}
     * clamped to 32767.
     */
    public static void softmaxS16(short[] x, int xOff, int xFrac, short[] y, int yOff, int n) {
        int max = Short.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[xOff + i]);
        }
        int shift = xFrac - ActivationTables.INPUT_FRAC;
        long sum = 0;
        for (int i = 0; i < n; i++) {
            int z = x[xOff + i] - max;
            sum += ActivationTables.exp(FixedPoint.roundingShiftSat16(z, shift));
        }
        for (int i = 0; i < n; i++) {
            // Recomputed rather than stored: exp(0) = 32768 does not fit the int16 output.
            int z = x[xOff + i] - max;
            int e = ActivationTables.exp(FixedPoint.roundingShiftSat16(z, shift));
            long p = ((long) e * 32768 + sum / 2) / sum;
            y[yOff + i] = (short) Math.min(p, Short.MAX_VALUE);
        }
    }

    /** In place on {@code g}: zero where the ReLU output is not positive. */
    public static void reluBackwardS16(short[] y, int yOff, short[] g, int gOff, int n) {
        for (int i = 0; i < n; i++) {
            if (y[yOff + i] <= 0) {
                g[gOff + i] = 0;
            }
        }
    }

    /**
     * {@code out = g * (32768 - round(y^2 / 2^15))} with {@code y} Q0.15, exact in int32; the result
     * has {@code gFrac + 15} fractional bits (normalise with {@link Kernels#normalizeS16}).
     */
    public static void tanhBackwardS16(short[] y, int yOff, short[] g, int gOff, int[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            int v = y[yOff + i];
            int d = 32768 - (int) FixedPoint.roundingShift((long) v * v, 15);
            out[outOff + i] = g[gOff + i] * d;
        }
    }

    /** {@code out = g * round(y (32768 - y) / 2^15)}, {@code gFrac + 15} fractional bits. */
    public static void sigmoidBackwardS16(short[] y, int yOff, short[] g, int gOff, int[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            int v = y[yOff + i];
            int d = (int) FixedPoint.roundingShift((long) v * (32768 - v), 15);
            out[outOff + i] = g[gOff + i] * d;
        }
    }
}
