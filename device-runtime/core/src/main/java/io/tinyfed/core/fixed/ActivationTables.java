package io.tinyfed.core.fixed;

/**
 * Lookup tables with linear interpolation for the S16 nonlinearities. Tables are generated once
 * from {@link StrictMath} (bit-reproducible on every JVM) and exported verbatim to C.
 *
 * <p>Tanh and sigmoid take their input in Q4.11 (frac 11), clamp it to [-8, 8), and return Q0.15.
 * Exp takes a non-positive input in Q4.11 clamped to [-16, 0] and returns Q0.15 with
 * {@code exp(0) = 32768}. 256 segments of 1/16 each; see docs/fixed-point.md for the measured
 * error bounds (checked exhaustively by ActivationTablesTest).
 */
public final class ActivationTables {
    /** Fractional bits of the table input. */
    public static final int INPUT_FRAC = 11;
    /** Fractional bits of table outputs. */
    public static final int OUTPUT_FRAC = 15;
    static final int SEGMENT_SHIFT = 7;
    static final int SEGMENTS = 256;

    private static final int[] TANH = table(Kind.TANH);
    private static final int[] SIGMOID = table(Kind.SIGMOID);
    private static final int[] EXP = table(Kind.EXP);

    private enum Kind { TANH, SIGMOID, EXP }

    private ActivationTables() {
    }

    private static int[] table(Kind kind) {
        int[] t = new int[SEGMENTS + 1];
        for (int k = 0; k <= SEGMENTS; k++) {
            double v;
            switch (kind) {
                case TANH -> v = StrictMath.tanh(-8.0 + k / 16.0);
                case SIGMOID -> v = 1.0 / (1.0 + StrictMath.exp(8.0 - k / 16.0));
                default -> v = StrictMath.exp(-16.0 + k / 16.0);
            }
            long q = (long) StrictMath.floor(v * 32768.0 + 0.5);
            t[k] = (int) Math.max(-32768, Math.min(kind == Kind.EXP ? 32768 : 32767, q));
        }
        return t;
    }

    /** tanh of a Q4.11 input as Q0.15. */
    public static short tanh(int xQ11) {
        return (short) interpolate(TANH, clampSigned(xQ11) + 8 * 2048);
    }

    /** Logistic sigmoid of a Q4.11 input as Q0.15 (in [0, 32767]). */
    public static short sigmoid(int xQ11) {
        return (short) interpolate(SIGMOID, clampSigned(xQ11) + 8 * 2048);
    }

    /** exp of a non-positive Q4.11 input (clamped to [-16, 0]) as Q0.15; exp(0) = 32768. */
    public static int exp(int xQ11) {
        int u = Math.max(-32768, Math.min(0, xQ11)) + 32768;
        return interpolate(EXP, u);
    }

    private static int clampSigned(int xQ11) {
        return Math.max(-8 * 2048, Math.min(8 * 2048 - 1, xQ11));
    }

    /** {@code u} in [0, 32768]: segment index in the high bits, position in the low 7 bits. */
    private static int interpolate(int[] table, int u) {
        int seg = u >> SEGMENT_SHIFT;
        int t = u & ((1 << SEGMENT_SHIFT) - 1);
        if (seg >= SEGMENTS) {
            return table[SEGMENTS];
        }
        int a = table[seg];
        int b = table[seg + 1];
        return a + (((b - a) * t + (1 << (SEGMENT_SHIFT - 1))) >> SEGMENT_SHIFT);
    }

    /** Copy of a table for the C exporter and the docs. */
    public static int[] tanhTable() {
        return TANH.clone();
    }

    public static int[] sigmoidTable() {
        return SIGMOID.clone();
    }

    public static int[] expTable() {
        return EXP.clone();
    }
}
