package io.tinyfed.core;

import java.util.Arrays;

/**
 * A delta as a device sends it over a slow link: the values at a few positions, each an int8 times the
 * power-of-two scale of its block of {@link #BLOCK} consecutive sent values ({@code value = q * 2^-frac}).
 * The positions are strictly increasing within {@code [0, parameterCount)}; every other value is zero.
 * Immutable: the arrays are copied in and out.
 *
 * @param parameterCount length of the dense delta
 * @param indices        positions of the sent values, strictly increasing
 * @param values         one int8 per position
 * @param blockFrac      one scale exponent per block of {@link #BLOCK} values, in [{@link #MIN_FRAC}, {@link #MAX_FRAC}]
 */
public record SparseDelta(int parameterCount, int[] indices, byte[] values, byte[] blockFrac) {
    /** Values per scale: a block's scale costs one byte, so 32 values share it at a cost of 1/32 byte each. */
    public static final int BLOCK = 32;
    /** Smallest scale exponent: values up to 127 * 2^16 in magnitude. */
    public static final int MIN_FRAC = -16;
    /** Largest scale exponent: values down to 2^-40, as for S16 deltas. */
    public static final int MAX_FRAC = 40;

    /**
     * @throws IllegalArgumentException if the lengths disagree, a position is out of order or range, or a scale is
     *                                  out of range
     */
    public SparseDelta {
        if (parameterCount < 1) {
            throw new IllegalArgumentException("parameter count must be positive, got " + parameterCount);
        }
        if (indices.length != values.length || indices.length > parameterCount) {
            throw new IllegalArgumentException(indices.length + " positions for " + values.length + " values of "
                    + parameterCount + " parameters");
        }
        if (blockFrac.length != blocks(indices.length)) {
            throw new IllegalArgumentException(values.length + " values need " + blocks(indices.length)
                    + " block scales, got " + blockFrac.length);
        }
        int previous = -1;
        for (int k = 0; k < indices.length; k++) {
            if (indices[k] <= previous || indices[k] >= parameterCount) {
                throw new IllegalArgumentException("position " + indices[k] + " at " + k + " is not increasing within [0, "
                        + parameterCount + ")");
            }
            previous = indices[k];
        }
        for (byte f : blockFrac) {
            if (f < MIN_FRAC || f > MAX_FRAC) {
                throw new IllegalArgumentException("block scale exponent " + f + " outside [" + MIN_FRAC + ", " + MAX_FRAC
                        + "]");
            }
        }
        indices = indices.clone();
        values = values.clone();
        blockFrac = blockFrac.clone();
    }

    /** Blocks needed for {@code n} values. */
    public static int blocks(int n) {
        return (n + BLOCK - 1) / BLOCK;
    }

    /** The value sent at position {@code k} of {@link #indices}, in real terms. */
    public float value(int k) {
        return (float) Math.scalb((double) values[k], -blockFrac[k / BLOCK]);
    }

    /**
     * Adds the sent values to {@code theta} in place, one float32 addition per position in position order: whoever
     * applies the same delta to the same parameters gets the same bits (how a device rebuilds a model version from the
     * one it holds and the coordinator's delta).
     *
     * @throws IllegalArgumentException if {@code theta} has another length
     */
    public void addTo(float[] theta) {
        if (theta.length != parameterCount) {
            throw new IllegalArgumentException("delta of " + parameterCount + " values for " + theta.length + " parameters");
        }
        for (int k = 0; k < indices.length; k++) {
            theta[indices[k]] += value(k);
        }
    }

    /** The dense delta: the sent values at their positions, zero elsewhere. */
    public float[] toDense() {
        float[] dense = new float[parameterCount];
        for (int k = 0; k < indices.length; k++) {
            dense[indices[k]] = value(k);
        }
        return dense;
    }

    @Override
    public int[] indices() {
        return indices.clone();
    }

    @Override
    public byte[] values() {
        return values.clone();
    }

    @Override
    public byte[] blockFrac() {
        return blockFrac.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SparseDelta s && s.parameterCount == parameterCount && Arrays.equals(s.indices, indices)
                && Arrays.equals(s.values, values) && Arrays.equals(s.blockFrac, blockFrac);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * parameterCount + Arrays.hashCode(indices)) + Arrays.hashCode(values))
                + Arrays.hashCode(blockFrac);
    }

    @Override
    public String toString() {
        return "SparseDelta[" + indices.length + " of " + parameterCount + "]";
    }
}
