package io.tinyfed.core.fixed;

/**
 * The one home of TinyFed's fixed-point arithmetic. Every S16 kernel and the C runtime
 * (firmware-bridge) use exactly these operations; {@code docs/fixed-point.md} is their
 * specification and the tests check every shift and both saturation ends.
 *
 * <p>Conventions: a value {@code q} with {@code f} fractional bits means {@code q * 2^-f}.
 * {@code >>} is an arithmetic (flooring) shift. "Round" means round half up
 * ({@code (v + 2^(s-1)) >> s}), the cheapest rounding that is symmetric in cost on an MCU and
 * that C reproduces with the same expression on two's-complement targets.
 */
public final class FixedPoint {
    public static final int S16_MIN = Short.MIN_VALUE;
    public static final int S16_MAX = Short.MAX_VALUE;

    private FixedPoint() {
    }

    /** Clamps to int16 (branch-free: min/max compile to conditional moves). */
    public static short saturate16(long v) {
        return (short) Math.max(S16_MIN, Math.min(S16_MAX, v));
    }

    /** Clamps to int32. */
    public static int saturate32(long v) {
        return (int) (v > Integer.MAX_VALUE ? Integer.MAX_VALUE : (v < Integer.MIN_VALUE ? Integer.MIN_VALUE : v));
    }

    /** True when {@code v} lies outside int16 and {@link #saturate16} would clamp it. */
    public static boolean overflows16(long v) {
        return v > S16_MAX || v < S16_MIN;
    }

    /**
     * Rounding arithmetic shift: {@code shift > 0} divides by {@code 2^shift} rounding half up,
     * {@code shift == 0} is the identity, {@code shift < 0} multiplies by {@code 2^-shift}
     * (caller saturates). Valid for {@code -62 <= shift <= 62} and {@code |v| < 2^62}.
     */
    public static long roundingShift(long v, int shift) {
        if (shift > 0) {
            return (v + (1L << (shift - 1))) >> shift;
        }
        return v << -shift;
    }

    /** {@link #roundingShift} then saturate to int16. Left shifts saturate instead of wrapping. */
    public static short roundingShiftSat16(long v, int shift) {
        if (shift >= 0) {
            return saturate16(roundingShift(v, shift));
        }
        return saturate16(shiftLeftSat(v, -shift));
    }

    /** Left shift that saturates to the int64 sign bound instead of wrapping ({@code 0 <= s <= 62}). */
    public static long shiftLeftSat(long v, int s) {
        long limit = Long.MAX_VALUE >> s;
        if (v > limit) {
            return Long.MAX_VALUE;
        }
        if (v < -limit) {
            return -Long.MAX_VALUE;
        }
        return v << s;
    }

    /**
     * Stochastic rounding shift: adds 16 bits of uniform noise ({@code random16} in [0, 65535])
     * aligned to the top of the {@code shift} discarded bits, then floors. So a value below one
     * LSB survives with probability proportional to its size (unbiased down to 2^-16 LSB; smaller
     * remainders are truncated). {@code shift <= 0} behaves like {@link #roundingShift}.
     */
    public static long stochasticShift(long v, int shift, int random16) {
        if (shift <= 0) {
            return v << -shift;
        }
        long noise = shift <= 16 ? random16 >>> (16 - shift) : (long) random16 << (shift - 16);
        return (v + noise) >> shift;
    }

    /** Division rounding half away from zero, {@code d > 0}. C: same with {@code /} truncating. */
    public static long roundingDivide(long n, long d) {
        return n >= 0 ? (n + d / 2) / d : -((-n + d / 2) / d);
    }

    /** Number of bits needed for a non-negative value: 0 for 0, 15 for 32767, 16 for 32768. */
    public static int bitLength(long nonNegative) {
        return 64 - Long.numberOfLeadingZeros(nonNegative);
    }

    /**
     * Quantises a real value to int16 with {@code fracBits}: {@code floor(x * 2^f + 0.5)},
     * saturated; NaN maps to 0. Used at the float boundary only (sensor input, targets).
     */
    public static short quantize(float x, int fracBits) {
        return saturate16(quantizeWide(x, fracBits));
    }

    /**
     * {@link #quantize} without the int16 saturation: {@code floor(x * 2^f + 0.5)} as a long (NaN
     * gives 0, magnitudes beyond long clamp to its range), for callers that must see the overflow.
     */
    public static long quantizeWide(float x, int fracBits) {
        return (long) Math.floor((double) x * (double) (1L << fracBits) + 0.5);
    }

    /** Real value of {@code q} with {@code fracBits}. Exact in float for int16 and {@code f <= 40}. */
    public static float dequantize(int q, int fracBits) {
        return q * Scales.pow2Neg(fracBits);
    }

    /**
     * Largest fractional-bit count in {@code [0, 15]} such that {@code maxAbs} still fits in
     * int16 with {@code headroomBits} spare bits; the choice used for weights and calibrated
     * activations. {@code maxAbs == 0} gives 15 minus headroom.
     */
    public static int fracBitsFor(double maxAbs, int headroomBits) {
        int f = 15 - headroomBits;
        while (f > 0 && maxAbs * Math.pow(2, f + headroomBits) > S16_MAX) {
            f--;
        }
        return f;
    }

    /** Helper holding exact powers of two as floats. */
    public static final class Scales {
        private static final float[] NEG = new float[64];

        static {
            for (int i = 0; i < NEG.length; i++) {
                NEG[i] = (float) Math.scalb(1.0, -i);
            }
        }

        private Scales() {
        }

        /** {@code 2^-f} for {@code 0 <= f < 64}. */
        public static float pow2Neg(int f) {
            return f >= 0 ? NEG[f] : (float) Math.scalb(1.0, -f);
        }
    }
}
