package io.tinyfed.core;

import io.tinyfed.core.fixed.FixedPoint;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The parameters of one network in one number format: what is trained, exchanged in federated
 * rounds, encoded by {@link ModelCodec} and loaded into a {@link Network}.
 *
 * <p>Parameters are one flat vector: for every parametrised layer in order, its weights then its
 * bias (tensor {@code 2k} and {@code 2k+1}). An S16 model also carries the fractional bits of each
 * tensor, of the input, and of each parametrised layer's output (its activation scale). A Model is
 * immutable: accessors return copies, so a caller never aliases a network's arena.
 */
public final class Model {
    private final Architecture architecture;
    private final NumberFormat format;
    private final float[] f32;
    private final short[] s16;
    private final int[] tensorFrac;
    private final int inputFrac;
    private final int[] outputFrac;
    private final int[] tensorOffset;

    private Model(Architecture architecture, NumberFormat format, float[] f32, short[] s16,
                  int[] tensorFrac, int inputFrac, int[] outputFrac) {
        this.architecture = architecture;
        this.format = format;
        this.f32 = f32;
        this.s16 = s16;
        this.tensorFrac = tensorFrac;
        this.inputFrac = inputFrac;
        this.outputFrac = outputFrac;
        this.tensorOffset = tensorOffsets(architecture);
        int expected = architecture.parameterCount();
        int actual = format == NumberFormat.F32 ? f32.length : s16.length;
        if (actual != expected) {
            throw new IllegalArgumentException("architecture has " + expected + " parameters, got " + actual);
        }
    }

    /** An F32 model holding a copy of {@code parameters}; every value must be finite. */
    public static Model ofF32(Architecture architecture, float[] parameters) {
        for (int i = 0; i < parameters.length; i++) {
            if (!Float.isFinite(parameters[i])) {
                throw new IllegalArgumentException("parameter " + i + " is not finite: " + parameters[i]);
            }
        }
        return new Model(architecture, NumberFormat.F32, parameters.clone(), null, null, 0, null);
    }

    /**
     * An S16 model from raw int16 parameters and scales. {@code tensorFrac} has one entry per
     * tensor, {@code outputFrac} one per parametrised layer; all fracs lie in [0, 15].
     */
    public static Model ofS16(Architecture architecture, short[] parameters, int[] tensorFrac,
                              int inputFrac, int[] outputFrac) {
        if (tensorFrac.length != architecture.tensorCount()) {
            throw new IllegalArgumentException("expected " + architecture.tensorCount() + " tensor scales, got " + tensorFrac.length);
        }
        if (outputFrac.length != architecture.parametrizedLayerCount()) {
            throw new IllegalArgumentException("expected " + architecture.parametrizedLayerCount()
                    + " activation scales, got " + outputFrac.length);
        }
        checkFrac(inputFrac, "input");
        for (int f : tensorFrac) {
            checkFrac(f, "tensor");
        }
        for (int f : outputFrac) {
            checkFrac(f, "activation");
        }
        return new Model(architecture, NumberFormat.S16, null, parameters.clone(), tensorFrac.clone(), inputFrac,
                outputFrac.clone());
    }

    private static void checkFrac(int f, String what) {
        if (f < 0 || f > 15) {
            throw new IllegalArgumentException(what + " fractional bits must be in [0, 15], got " + f);
        }
    }

    /**
     * A freshly initialised F32 model: weights and biases uniform in
     * {@code [-1/sqrt(fanIn), 1/sqrt(fanIn)]} (the PyTorch default used by MAML/Reptile sine code),
     * drawn from {@link SplittableRandom} with {@code seed}; the same seed gives the same model.
     */
    public static Model initialize(Architecture architecture, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] p = new float[architecture.parameterCount()];
        int off = 0;
        for (Layer l : architecture.layers()) {
            if (!l.hasParameters()) {
                continue;
            }
            int fanIn = l.weightCount() / l.biasCount();
            double bound = 1.0 / Math.sqrt(fanIn);
            int n = l.weightCount() + l.biasCount();
            for (int i = 0; i < n; i++) {
                p[off++] = (float) ((random.nextDouble() * 2 - 1) * bound);
            }
        }
        return new Model(architecture, NumberFormat.F32, p, null, null, 0, null);
    }

    static int[] tensorOffsets(Architecture a) {
        int[] offsets = new int[a.tensorCount() + 1];
        int t = 0;
        int off = 0;
        for (Layer l : a.layers()) {
            if (l.hasParameters()) {
                offsets[t++] = off;
                off += l.weightCount();
                offsets[t++] = off;
                off += l.biasCount();
            }
        }
        offsets[t] = off;
        return offsets;
    }

    public Architecture architecture() {
        return architecture;
    }

    public NumberFormat format() {
        return format;
    }

    public int parameterCount() {
        return architecture.parameterCount();
    }

    /** Start of tensor {@code t} in the flat parameter vector. */
    public int tensorOffset(int t) {
        return tensorOffset[t];
    }

    public int tensorLength(int t) {
        return tensorOffset[t + 1] - tensorOffset[t];
    }

    /** Copy of the F32 parameters; fails for an S16 model (use {@link #toRealVector()}). */
    public float[] f32Parameters() {
        requireFormat(NumberFormat.F32);
        return f32.clone();
    }

    /** Copy of the raw int16 parameters of an S16 model. */
    public short[] s16Parameters() {
        requireFormat(NumberFormat.S16);
        return s16.clone();
    }

    /** Fractional bits of tensor {@code t} (S16 only). */
    public int tensorFrac(int t) {
        requireFormat(NumberFormat.S16);
        return tensorFrac[t];
    }

    /** Fractional bits of the network input (S16 only). */
    public int inputFrac() {
        requireFormat(NumberFormat.S16);
        return inputFrac;
    }

    /** Fractional bits of the output of the {@code k}-th parametrised layer (S16 only). */
    public int outputFrac(int k) {
        requireFormat(NumberFormat.S16);
        return outputFrac[k];
    }

    int[] tensorFracs() {
        return tensorFrac;
    }

    int[] outputFracs() {
        return outputFrac;
    }

    float[] f32Unsafe() {
        return f32;
    }

    short[] s16Unsafe() {
        return s16;
    }

    /** The parameters as real numbers (S16 values dequantised exactly). */
    public float[] toRealVector() {
        if (format == NumberFormat.F32) {
            return f32.clone();
        }
        float[] r = new float[s16.length];
        for (int t = 0; t < tensorFrac.length; t++) {
            for (int i = tensorOffset[t]; i < tensorOffset[t + 1]; i++) {
                r[i] = FixedPoint.dequantize(s16[i], tensorFrac[t]);
            }
        }
        return r;
    }

    /**
     * The same architecture and format with new real-valued parameters. An S16 model keeps its
     * scales: values are re-quantised with each tensor's current fractional bits (saturating).
     */
    public Model withRealParameters(float[] real) {
        if (real.length != parameterCount()) {
            throw new IllegalArgumentException("expected " + parameterCount() + " parameters, got " + real.length);
        }
        if (format == NumberFormat.F32) {
            return ofF32(architecture, real);
        }
        short[] q = new short[real.length];
        for (int t = 0; t < tensorFrac.length; t++) {
            for (int i = tensorOffset[t]; i < tensorOffset[t + 1]; i++) {
                if (!Float.isFinite(real[i])) {
                    throw new IllegalArgumentException("parameter " + i + " is not finite: " + real[i]);
                }
                q[i] = FixedPoint.quantize(real[i], tensorFrac[t]);
            }
        }
        return new Model(architecture, format, null, q, tensorFrac.clone(), inputFrac, outputFrac.clone());
    }

    private void requireFormat(NumberFormat expected) {
        if (format != expected) {
            throw new IllegalStateException("model is " + format + ", operation needs " + expected);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Model m && m.architecture.equals(architecture) && m.format == format
                && Arrays.equals(m.f32, f32) && Arrays.equals(m.s16, s16)
                && Arrays.equals(m.tensorFrac, tensorFrac) && m.inputFrac == inputFrac
                && Arrays.equals(m.outputFrac, outputFrac);
    }

    @Override
    public int hashCode() {
        return architecture.hashCode() * 31 + (format == NumberFormat.F32 ? Arrays.hashCode(f32) : Arrays.hashCode(s16));
    }

    @Override
    public String toString() {
        return "Model[" + architecture.name() + ", " + format + ", " + parameterCount() + " parameters]";
    }
}
