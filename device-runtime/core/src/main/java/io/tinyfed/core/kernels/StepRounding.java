package io.tinyfed.core.kernels;

import io.tinyfed.core.fixed.FixedPoint;

/**
 * Rounding of an exact weight update to the weight's resolution, with the generator inlined so
 * kernels can keep its state in a register. Same results as {@link FixedPoint#roundingShift},
 * {@link FixedPoint#stochasticShift} and {@link io.tinyfed.core.fixed.Xorshift32}.
 */
public final class StepRounding {
    private StepRounding() {
    }

    /** One xorshift32 (13, 17, 5) step. */
    public static int xorshift32(int x) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return x;
    }

    /** Golden-ratio increment, round(2^16 / phi): consecutive elements get well-spread noise. */
    public static final int NOISE_STRIDE = 40503;

    /**
     * The 16-bit noise of element {@code k} under one 32-bit draw:
     * {@code (draw + k * NOISE_STRIDE) & 0xFFFF}. Uniform over draws for every {@code k}, so
     * rounding stays unbiased per element while a row needs one draw instead of one per element.
     */
    public static int noise(int draw, int k) {
        return (draw + k * NOISE_STRIDE) & 0xFFFF;
    }

    /** Stochastic rounding for {@code shift > 0}, else exact/saturating like {@link #nearest}. */
    public static long stochastic(long update, int shift, int noise16) {
        return shift > 0 ? FixedPoint.stochasticShift(update, shift, noise16)
                : FixedPoint.shiftLeftSat(update, Math.min(62, -shift));
    }

    /** Round half up for {@code shift > 0}, saturating left shift otherwise. */
    public static long nearest(long update, int shift) {
        return shift > 0 ? FixedPoint.roundingShift(update, shift) : FixedPoint.shiftLeftSat(update, Math.min(62, -shift));
    }
}
