package io.tinyfed.core.kernels;

import io.tinyfed.core.fixed.FixedPoint;

/** Constants and the error-vector normalisation shared by the S16 kernels (docs/fixed-point.md). */
public final class Kernels {
    /** Fractional bits of the S16 learning rate (and momentum) multiplier. */
    public static final int LR_FRAC = 16;
    /** Bits dropped when an int64 input-gradient sum is stored in the int32 dx scratch. */
    public static final int DX_PRESHIFT = 16;
    /** Largest fractional-bit count an S16 error vector may take. */
    public static final int MAX_GRAD_FRAC = 30;

    private Kernels() {
    }

    /**
     * Block-normalises an int32 vector with {@code frac} fractional bits into int16 so that its
     * largest magnitude uses the full range: shift {@code s = max(bitLength(max|v|) - 15,
     * frac - MAX_GRAD_FRAC)}; right shifts round half up and saturate, left shifts are exact.
     *
     * @return the fractional bits of the int16 result, {@code frac - s}
     */
    public static int normalizeS16(int[] v, int vOff, int n, int frac, short[] out, int outOff) {
        long max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.abs((long) v[vOff + i]));
        }
        int shift = Math.max(FixedPoint.bitLength(max) - 15, frac - MAX_GRAD_FRAC);
        for (int i = 0; i < n; i++) {
            out[outOff + i] = FixedPoint.roundingShiftSat16(v[vOff + i], shift);
        }
        return frac - shift;
    }
}
