package io.tinyfed.core;

import java.util.Arrays;

/**
 * A device's uplink compression with error feedback: each update sends only the largest-magnitude fraction of
 * {@code delta + residual} as int8 values in power-of-two scaled blocks ({@link SparseDelta}), and keeps what it did
 * not send (the values left out and each sent value's rounding error) as the residual that the next update adds
 * before it chooses. Nothing is lost for good, only delayed, which is why a few percent of the values are enough
 * (Top-P% selective communication, as in TinyMetaFed, with the error feedback of Seide et al. and Stich et al.).
 *
 * <p>The residual lives in the device's number format: float32 on an F32 device; on an S16 device int16 values with
 * one power-of-two scale chosen, like an S16 update's, so the largest residual fills int16 ({@link #residualBytes()}
 * says what it costs). One compressor per model a device trains; not thread-safe. Apart from the sparse delta it
 * returns, compressing allocates nothing: its buffers are sized once, for the model's parameter count.
 */
public final class DeltaCompressor {
    private final int parameterCount;
    private final NumberFormat residualFormat;
    private final boolean errorFeedback;
    private final float[] residualF32;
    private final short[] residualS16;
    private int residualFrac;
    private final float[] corrected;
    private final float[] magnitudes;
    private final float[] sorted;

    /**
     * @param parameterCount the model's parameter count (every delta has this length)
     * @param residualFormat the number format the residual is kept in (the device's training format)
     * @param errorFeedback  false: nothing is carried over, each update is the plain top fraction of its delta
     */
    public DeltaCompressor(int parameterCount, NumberFormat residualFormat, boolean errorFeedback) {
        if (parameterCount < 1) {
            throw new IllegalArgumentException("parameter count must be positive, got " + parameterCount);
        }
        this.parameterCount = parameterCount;
        this.residualFormat = residualFormat;
        this.errorFeedback = errorFeedback;
        boolean s16 = residualFormat == NumberFormat.S16;
        this.residualF32 = errorFeedback && !s16 ? new float[parameterCount] : null;
        this.residualS16 = errorFeedback && s16 ? new short[parameterCount] : null;
        this.corrected = new float[parameterCount];
        this.magnitudes = new float[parameterCount];
        this.sorted = new float[parameterCount];
    }

    /**
     * {@code current} while it is for {@code parameterCount} parameters (its residual carried on), else a new compressor
     * with error feedback whose residual is kept in {@code format} (the model changed shape: the old residual is
     * meaningless). {@code current} may be null.
     */
    public static DeltaCompressor reuse(DeltaCompressor current, int parameterCount, NumberFormat format) {
        return current != null && current.parameterCount == parameterCount ? current
                : new DeltaCompressor(parameterCount, format, true);
    }

    /** How many values a fraction of {@code parameterCount} sends: at least one, at most all. */
    public static int sentCount(int parameterCount, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction of values sent must be in (0, 1], got " + fraction);
        }
        return (int) Math.max(1, Math.min(parameterCount, Math.round(fraction * parameterCount)));
    }

    /**
     * Chooses, quantises and sends: the {@link #sentCount} largest |delta + residual| (ties to the lower position),
     * each block of {@link SparseDelta#BLOCK} of them scaled so its largest magnitude fills int8 (rounded to
     * nearest, halves up), and keeps the rest as the new residual. The delta is not modified.
     *
     * @throws IllegalArgumentException if {@code delta} has another length or a non-finite value (the residual is
     *                                  left as it was)
     */
    public SparseDelta compress(float[] delta, double fraction) {
        if (delta.length != parameterCount) {
            throw new IllegalArgumentException("delta has " + delta.length + " values, the model " + parameterCount);
        }
        int k = sentCount(parameterCount, fraction);
        float residualScale = residualS16 == null ? 0f : (float) Math.scalb(1.0, -residualFrac);
        for (int i = 0; i < parameterCount; i++) {
            if (!Float.isFinite(delta[i])) {
                throw new IllegalArgumentException("delta value " + i + " is " + delta[i]);
            }
            float r = residualF32 != null ? residualF32[i] : residualS16 != null ? residualS16[i] * residualScale : 0f;
            corrected[i] = delta[i] + r;
            magnitudes[i] = Math.abs(corrected[i]);
        }
        int[] indices = largest(k);
        byte[] values = new byte[k];
        byte[] fracs = new byte[SparseDelta.blocks(k)];
        for (int b = 0; b < fracs.length; b++) {
            int from = b * SparseDelta.BLOCK;
            int to = Math.min(k, from + SparseDelta.BLOCK);
            float max = 0f;
            for (int j = from; j < to; j++) {
                max = Math.max(max, magnitudes[indices[j]]);
            }
            int frac = fracFor(max, Byte.MAX_VALUE, SparseDelta.MIN_FRAC, SparseDelta.MAX_FRAC);
            fracs[b] = (byte) frac;
            for (int j = from; j < to; j++) {
                long q = Math.round(Math.scalb((double) corrected[indices[j]], frac));
                values[j] = (byte) Math.max(-Byte.MAX_VALUE, Math.min(Byte.MAX_VALUE, q));
            }
        }
        SparseDelta sent = new SparseDelta(parameterCount, indices, values, fracs);
        if (errorFeedback) {
            for (int j = 0; j < k; j++) {
                corrected[indices[j]] -= sent.value(j);
            }
            keepResidual();
        }
        return sent;
    }

    /** The residual carried to the next update, in real values (zeros without error feedback). */
    public float[] residual() {
        float[] out = new float[parameterCount];
        for (int i = 0; i < parameterCount; i++) {
            out[i] = residualF32 != null ? residualF32[i]
                    : residualS16 != null ? (float) Math.scalb((double) residualS16[i], -residualFrac) : 0f;
        }
        return out;
    }

    /** Forgets the residual (a new model, or a version too far from the one it was kept for). */
    public void reset() {
        if (residualF32 != null) {
            Arrays.fill(residualF32, 0f);
        }
        if (residualS16 != null) {
            Arrays.fill(residualS16, (short) 0);
            residualFrac = 0;
        }
    }

    /** Bytes the residual occupies on the device: its values in the residual format, plus an S16 residual's scale. */
    public long residualBytes() {
        return residualBytes(parameterCount, residualFormat, errorFeedback);
    }

    /** {@link #residualBytes()} of a compressor not yet made. */
    public static long residualBytes(int parameterCount, NumberFormat format, boolean errorFeedback) {
        if (!errorFeedback) {
            return 0;
        }
        return format == NumberFormat.S16 ? 2L * parameterCount + 4 : 4L * parameterCount;
    }

    public int parameterCount() {
        return parameterCount;
    }

    public boolean errorFeedback() {
        return errorFeedback;
    }

    private void keepResidual() {
        if (residualF32 != null) {
            System.arraycopy(corrected, 0, residualF32, 0, parameterCount);
            return;
        }
        float max = 0f;
        for (int i = 0; i < parameterCount; i++) {
            max = Math.max(max, Math.abs(corrected[i]));
        }
        residualFrac = fracFor(max, Short.MAX_VALUE, SparseDelta.MIN_FRAC, SparseDelta.MAX_FRAC);
        for (int i = 0; i < parameterCount; i++) {
            long q = Math.round(Math.scalb((double) corrected[i], residualFrac));
            residualS16[i] = (short) Math.max(-Short.MAX_VALUE, Math.min(Short.MAX_VALUE, q));
        }
    }

    /**
     * Positions of the {@code k} largest {@link #magnitudes}, increasing; among equal magnitudes at the threshold the
     * lower positions go first.
     */
    private int[] largest(int k) {
        int[] out = new int[k];
        if (k == parameterCount) {
            for (int i = 0; i < k; i++) {
                out[i] = i;
            }
            return out;
        }
        System.arraycopy(magnitudes, 0, sorted, 0, parameterCount);
        Arrays.sort(sorted);
        float threshold = sorted[parameterCount - k];
        int above = 0;
        for (int i = parameterCount - k + 1; i < parameterCount; i++) {
            if (sorted[i] > threshold) {
                above++;
            }
        }
        int ties = k - above;
        int n = 0;
        for (int i = 0; i < parameterCount && n < k; i++) {
            float m = magnitudes[i];
            if (m > threshold || (m == threshold && ties-- > 0)) {
                out[n++] = i;
            }
        }
        return out;
    }

    /** Largest exponent f in [min, max] with {@code magnitude * 2^f <= limit} (max for zero). */
    static int fracFor(float magnitude, int limit, int min, int max) {
        int f = max;
        while (f > min && Math.scalb((double) magnitude, f) > limit) {
            f--;
        }
        return f;
    }
}
