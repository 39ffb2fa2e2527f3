package io.tinyfed.core.fixed;

/**
 * Marsaglia's xorshift32 (13, 17, 5): the seeded generator behind stochastic rounding. Chosen
 * because the C runtime reproduces it in three lines and its state is one word of MCU RAM.
 * A zero seed (the generator's only fixed point) is replaced by {@link #ZERO_SEED_REPLACEMENT}.
 */
public final class Xorshift32 {
    public static final int ZERO_SEED_REPLACEMENT = 0x9E3779B9;
    private int state;

    public Xorshift32(long seed) {
        reseed(seed);
    }

    /** Restarts the sequence at {@link #initialState(long)}. */
    public void reseed(long seed) {
        state = initialState(seed);
    }

    /** The state a seed starts from: the 64-bit seed folded to 32 bits by xor of its halves, 0 replaced. */
    public static int initialState(long seed) {
        int s = (int) (seed ^ (seed >>> 32));
        return s == 0 ? ZERO_SEED_REPLACEMENT : s;
    }

    /** Next unsigned 32-bit draw, returned in an int. */
    public int next() {
        int x = state;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        state = x;
        return x;
    }

    public int state() {
        return state;
    }
}
