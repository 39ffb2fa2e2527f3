package io.tinyfed.core.fixed;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import org.junit.jupiter.api.Test;

class FixedPointTest {

    /** Reference: round half up (toward +infinity) of v / 2^s computed with BigDecimal. */
    private static long referenceRoundHalfUp(long v, int s) {
        BigDecimal exact = new BigDecimal(BigInteger.valueOf(v)).divide(new BigDecimal(BigInteger.ONE.shiftLeft(s)));
        return exact.add(new BigDecimal("0.5")).setScale(0, RoundingMode.FLOOR).longValueExact();
    }

    @Test
    void roundingShift_matchesRoundHalfUpAtEveryShift() {
        long[] values = {0, 1, -1, 2, -2, 3, -3, 5, -5, 32767, -32768, 65535, -65536, (1L << 40) + 7, -(1L << 40) - 7,
                (1L << 61) - 1, -(1L << 61), 123456789012345L, -123456789012345L};
        for (int s = 1; s <= 61; s++) {
            for (long v : values) {
                long expected = referenceRoundHalfUp(v, s);
                long actual = FixedPoint.roundingShift(v, s);
                assertThat(actual).as("v=%d s=%d", v, s).isEqualTo(expected);
            }
            long half = 1L << (s - 1);
            assertThat(FixedPoint.roundingShift(half, s)).as("+half at s=%d rounds up", s).isEqualTo(1);
            assertThat(FixedPoint.roundingShift(-half, s)).as("-half at s=%d rounds up to 0", s).isEqualTo(0);
            assertThat(FixedPoint.roundingShift(half - 1, s)).as("below half at s=%d", s).isEqualTo(0);
            assertThat(FixedPoint.roundingShift(-half - 1, s)).as("below -half at s=%d", s).isEqualTo(-1);
        }
    }

    @Test
    void roundingShift_zeroAndNegativeShiftsAreExactMultiplications() {
        assertThat(FixedPoint.roundingShift(-7, 0)).isEqualTo(-7);
        for (int s = 1; s <= 40; s++) {
            assertThat(FixedPoint.roundingShift(-3, -s)).isEqualTo(-3L << s);
        }
    }

    @Test
    void roundingShiftSat16_saturatesAtBothEndsForEveryShift() {
        for (int s = -15; s <= 30; s++) {
            long big = s >= 0 ? (40000L << s) : 40000L >> -s | 1;
            long expectedHigh = 32767;
            assertThat(FixedPoint.roundingShiftSat16(s >= 0 ? 40000L << s : 2, s)).as("high s=%d", s)
                    .isEqualTo((short) (s >= 0 ? expectedHigh : Math.min(32767, 2L << -s)));
            assertThat(FixedPoint.roundingShiftSat16(s >= 0 ? -40000L << s : -2, s)).as("low s=%d", s)
                    .isEqualTo((short) (s >= 0 ? -32768 : Math.max(-32768, -2L << -s)));
            assertThat(big).isNotZero();
        }
        // exact limits survive, one more saturates
        assertThat(FixedPoint.roundingShiftSat16(32767L << 4, 4)).isEqualTo((short) 32767);
        assertThat(FixedPoint.roundingShiftSat16((32767L << 4) + 8, 4)).isEqualTo((short) 32767);
        assertThat(FixedPoint.roundingShiftSat16(-32768L << 4, 4)).isEqualTo((short) -32768);
        assertThat(FixedPoint.roundingShiftSat16((-32768L << 4) - 9, 4)).isEqualTo((short) -32768);
        assertThat(FixedPoint.roundingShiftSat16(Long.MAX_VALUE >> 2, -30)).isEqualTo((short) 32767);
        assertThat(FixedPoint.roundingShiftSat16(-(Long.MAX_VALUE >> 2), -30)).isEqualTo((short) -32768);
    }

    @Test
    void saturate16_clampsOnlyOutsideInt16() {
        assertThat(FixedPoint.saturate16(32767)).isEqualTo((short) 32767);
        assertThat(FixedPoint.saturate16(32768)).isEqualTo((short) 32767);
        assertThat(FixedPoint.saturate16(-32768)).isEqualTo((short) -32768);
        assertThat(FixedPoint.saturate16(-32769)).isEqualTo((short) -32768);
        assertThat(FixedPoint.saturate16(Long.MIN_VALUE)).isEqualTo((short) -32768);
        assertThat(FixedPoint.overflows16(32767)).isFalse();
        assertThat(FixedPoint.overflows16(32768)).isTrue();
        assertThat(FixedPoint.overflows16(-32769)).isTrue();
        assertThat(FixedPoint.saturate32(1L << 31)).isEqualTo(Integer.MAX_VALUE);
        assertThat(FixedPoint.saturate32(-(1L << 31) - 1)).isEqualTo(Integer.MIN_VALUE);
    }

    @Test
    void shiftLeftSat_saturatesInsteadOfWrapping() {
        assertThat(FixedPoint.shiftLeftSat(1, 62)).isEqualTo(1L << 62);
        assertThat(FixedPoint.shiftLeftSat(2, 62)).isEqualTo(Long.MAX_VALUE);
        assertThat(FixedPoint.shiftLeftSat(-2, 62)).isEqualTo(-Long.MAX_VALUE);
        assertThat(FixedPoint.shiftLeftSat(-5, 3)).isEqualTo(-40);
    }

    @Test
    void stochasticShift_isUnbiasedAndBoundedByFloorAndCeiling() {
        Xorshift32 rng = new Xorshift32(42);
        int shift = 8;
        long v = 3; // 3/256 of an LSB: nearest rounding always loses it
        long sum = 0;
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            long r = FixedPoint.stochasticShift(v, shift, rng.next() >>> 16);
            assertThat(r).isBetween(0L, 1L);
            sum += r;
        }
        assertThat(FixedPoint.roundingShift(v, shift)).isZero();
        assertThat((double) sum / n).isCloseTo(3.0 / 256, org.assertj.core.data.Offset.offset(0.002));
        // exact multiples never move, whatever the noise
        for (int s = 1; s <= 50; s++) {
            assertThat(FixedPoint.stochasticShift(-5L << s, s, 0xFFFF)).as("s=%d", s).isEqualTo(-5);
            assertThat(FixedPoint.stochasticShift(-5L << s, s, 0)).isEqualTo(-5);
        }
        // the noise is aligned to the top of the discarded bits: 16 bits of resolution
        assertThat(FixedPoint.stochasticShift(1L << 20, 36, 0xFFFF)).as("2^-16 LSB + max noise").isEqualTo(1);
        assertThat(FixedPoint.stochasticShift((1L << 20) - 1, 36, 0xFFFF)).as("below 2^-16 LSB").isZero();
        assertThat(FixedPoint.stochasticShift(7, 0, 123)).isEqualTo(7);
        assertThat(FixedPoint.stochasticShift(7, -2, 123)).isEqualTo(28);
    }

    @Test
    void roundingDivide_roundsHalfAwayFromZero() {
        assertThat(FixedPoint.roundingDivide(5, 2)).isEqualTo(3);
        assertThat(FixedPoint.roundingDivide(-5, 2)).isEqualTo(-3);
        assertThat(FixedPoint.roundingDivide(4, 3)).isEqualTo(1);
        assertThat(FixedPoint.roundingDivide(-4, 3)).isEqualTo(-1);
        assertThat(FixedPoint.roundingDivide(0, 7)).isZero();
    }

    @Test
    void bitLength_countsSignificantBits() {
        assertThat(FixedPoint.bitLength(0)).isZero();
        assertThat(FixedPoint.bitLength(1)).isEqualTo(1);
        assertThat(FixedPoint.bitLength(32767)).isEqualTo(15);
        assertThat(FixedPoint.bitLength(32768)).isEqualTo(16);
    }

    @Test
    void quantize_roundsHalfUpSaturatesAndMapsNaNToZero() {
        assertThat(FixedPoint.quantize(0.5f, 1)).isEqualTo((short) 1);
        assertThat(FixedPoint.quantize(0.25f, 1)).isEqualTo((short) 1);   // 0.5 LSB rounds up
        assertThat(FixedPoint.quantize(-0.25f, 1)).isEqualTo((short) 0);  // -0.5 LSB rounds up to 0
        assertThat(FixedPoint.quantize(1e9f, 3)).isEqualTo((short) 32767);
        assertThat(FixedPoint.quantize(-1e9f, 3)).isEqualTo((short) -32768);
        assertThat(FixedPoint.quantize(Float.NaN, 3)).isEqualTo((short) 0);
        assertThat(FixedPoint.dequantize(-3, 2)).isEqualTo(-0.75f);
    }

    @Test
    void fracBitsFor_picksLargestFittingResolution() {
        assertThat(FixedPoint.fracBitsFor(0.9, 0)).isEqualTo(15);
        assertThat(FixedPoint.fracBitsFor(0.9, 1)).isEqualTo(14);
        assertThat(FixedPoint.fracBitsFor(1.0, 0)).isEqualTo(14);
        assertThat(FixedPoint.fracBitsFor(5.0, 0)).isEqualTo(12);
        assertThat(FixedPoint.fracBitsFor(1e6, 0)).isEqualTo(0);
        assertThat(FixedPoint.fracBitsFor(0, 1)).isEqualTo(14);
    }

    @Test
    void xorshift32_isSeededAndReproducible() {
        Xorshift32 a = new Xorshift32(7);
        Xorshift32 b = new Xorshift32(7);
        for (int i = 0; i < 1000; i++) {
            assertThat(a.next()).isEqualTo(b.next());
        }
        Xorshift32 zero = new Xorshift32(0);
        assertThat(zero.state()).isEqualTo(Xorshift32.ZERO_SEED_REPLACEMENT);
        // golden: first draws from seed 1 (Marsaglia 13/17/5)
        Xorshift32 one = new Xorshift32(1);
        assertThat(one.next()).isEqualTo(270369);
        assertThat(one.next()).isEqualTo(67634689);
    }
}
