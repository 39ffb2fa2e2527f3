package io.tinyfed.core;

import io.tinyfed.core.fixed.FixedPoint;
import io.tinyfed.core.internal.F32Engine;
import io.tinyfed.core.internal.Layout;
import java.util.List;

/**
 * Converts models between F32 and S16. Scales are powers of two chosen from observed ranges
 * (docs/fixed-point.md, "Choosing scales"): each weight and bias tensor from its largest
 * magnitude, the input and every parametrised layer's output from the largest magnitude seen
 * while running the F32 model on calibration inputs. {@value #HEADROOM_BITS} bit of headroom is
 * left on weights and activations so training has room to grow before scale adaptation kicks in.
 */
public final class Quantizer {
    public static final int HEADROOM_BITS = 1;

    private Quantizer() {
    }

    /**
     * Quantises an F32 model. {@code calibration} are representative inputs (at least one); the
     * input scale uses no headroom (inputs do not grow), everything else {@link #HEADROOM_BITS}.
     */
    public static Model toS16(Model f32, List<float[]> calibration) {
        if (f32.format() != NumberFormat.F32) {
            throw new IllegalArgumentException("toS16 needs an F32 model, got " + f32.format());
        }
        if (calibration.isEmpty()) {
            throw new IllegalArgumentException("quantisation needs at least one calibration input");
        }
        Architecture a = f32.architecture();
        F32Engine engine = new F32Engine(Layout.plan(a, NumberFormat.F32, TrainingConfig.inference()), f32);
        float[] maxAbs = new float[a.size()];
        float inputMax = 0f;
        for (float[] x : calibration) {
            engine.inferRecordingRanges(x, maxAbs);
            for (float v : x) {
                inputMax = Math.max(inputMax, Math.abs(v));
            }
        }
        int[] outputFrac = new int[a.parametrizedLayerCount()];
        int k = 0;
        for (int l = 0; l < a.size(); l++) {
            if (a.layer(l).hasParameters()) {
                outputFrac[k++] = FixedPoint.fracBitsFor(maxAbs[l], HEADROOM_BITS);
            }
        }
        return toS16(f32, FixedPoint.fracBitsFor(inputMax, 0), outputFrac);
    }

    /**
     * Quantises an F32 model's parameters (each tensor's scale from its largest magnitude, with
     * {@link #HEADROOM_BITS}) under given activation scales, e.g. those a device's firmware was built with.
     */
    public static Model toS16(Model f32, int inputFrac, int[] outputFrac) {
        if (f32.format() != NumberFormat.F32) {
            throw new IllegalArgumentException("toS16 needs an F32 model, got " + f32.format());
        }
        float[] p = f32.f32Parameters();
        int[] tensorFrac = new int[f32.architecture().tensorCount()];
        short[] q = new short[p.length];
        for (int t = 0; t < tensorFrac.length; t++) {
            float max = 0f;
            for (int i = f32.tensorOffset(t); i < f32.tensorOffset(t) + f32.tensorLength(t); i++) {
                max = Math.max(max, Math.abs(p[i]));
            }
            tensorFrac[t] = FixedPoint.fracBitsFor(max, HEADROOM_BITS);
            for (int i = f32.tensorOffset(t); i < f32.tensorOffset(t) + f32.tensorLength(t); i++) {
                q[i] = FixedPoint.quantize(p[i], tensorFrac[t]);
            }
        }
        return Model.ofS16(f32.architecture(), q, tensorFrac, inputFrac, outputFrac);
    }

    /** Dequantises an S16 model exactly (every int16 value times its power-of-two scale). */
    public static Model toF32(Model s16) {
        if (s16.format() != NumberFormat.S16) {
            throw new IllegalArgumentException("toF32 needs an S16 model, got " + s16.format());
        }
        return Model.ofF32(s16.architecture(), s16.toRealVector());
    }
}
