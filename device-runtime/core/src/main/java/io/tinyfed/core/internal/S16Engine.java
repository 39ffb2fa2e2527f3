package io.tinyfed.core.internal;

import io.tinyfed.core.Model;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.core.fixed.FixedPoint;
import io.tinyfed.core.fixed.Xorshift32;
import io.tinyfed.core.kernels.Activations;
import io.tinyfed.core.kernels.Conv1D;
import io.tinyfed.core.kernels.Dense;
import io.tinyfed.core.kernels.Kernels;
import io.tinyfed.core.kernels.StepRounding;
import io.tinyfed.core.kernels.WeightUpdate;

/**
 * The int16 fixed-point engine (docs/fixed-point.md). The arena's 16-bit region is one
 * {@code short[]}, its 32-bit region (scales, master weights, accumulators, dx scratch) one
 * {@code int[]}. Scales live in the arena because scale adaptation changes them while training.
 */
public final class S16Engine extends EngineBase implements WeightUpdate {
    /** Master weights carry this many extra fractional bits over their int16 weight. */
    static final int MASTER_EXTRA = 16;
    private static final long MASTER_MAX = (long) Short.MAX_VALUE << MASTER_EXTRA;
    private static final long MASTER_MIN = (long) Short.MIN_VALUE << MASTER_EXTRA;

    private final short[] s;
    private final int[] q;
    private final int weights;
    private final boolean stochastic;
    private final boolean adapt;
    private final int momentumQ;
    /** Per-layer output saturations in the current step; per-tensor update saturations. */
    private final int[] activationHits;
    private final int[] tensorHits;
    private int lrQ;
    /** Fractional bits of the int16 error vector during backward (a block exponent). */
    private int errFrac;
    private int currentTensor;
    private int biasBoundary;
    private long saturations;
    private long adaptations;

    public S16Engine(Layout layout, Model model) {
        super(layout);
        this.s = new short[layout.narrowLength];
        this.q = new int[layout.wideLength];
        this.weights = layout.weightsOff;
        TrainingConfig c = layout.config;
        this.stochastic = c.rounding() == TrainingConfig.Rounding.STOCHASTIC;
        this.adapt = c.scaleAdaptation();
        this.momentumQ = (int) Math.round(c.momentum() * (1 << Kernels.LR_FRAC));
        this.activationHits = new int[layers];
        this.tensorHits = new int[layout.architecture.tensorCount()];
        setLearningRate(c.learningRate());
        load(model);
    }

    @Override
    public void load(Model model) {
        checkLoadable(model);
        short[] p = model.s16Parameters();
        System.arraycopy(p, 0, s, weights, p.length);
        for (int t = 0; t < tensorHits.length; t++) {
            q[layout.tensorFracIndex(t)] = model.tensorFrac(t);
        }
        q[layout.layerFracIndex(-1)] = model.inputFrac();
        int k = 0;
        for (int l = 0; l < layers; l++) {
            if (kind[l] == DENSE || kind[l] == CONV1D) {
                q[layout.layerFracIndex(l)] = model.outputFrac(k++);
            }
        }
        deriveActivationFracs();
        if (layout.masterOff >= 0) {
            for (int i = 0; i < layout.trainCount; i++) {
                q[layout.masterOff + i] = s[weights + layout.trainStart + i] << MASTER_EXTRA;
            }
        }
        clear(layout.accOff);
        clear(layout.velOff);
        if (layout.batchOff >= 0) {
            q[layout.batchOff] = 0;
        }
        if (layout.rngOff >= 0) {
            q[layout.rngOff] = Xorshift32.initialState(layout.config.seed());
        }
    }

    private void clear(int off) {
        if (off >= 0) {
            java.util.Arrays.fill(q, off, off + layout.trainCount, 0);
        }
    }

    /** ReLU inherits its input's fractional bits; tanh, sigmoid and softmax output Q0.15. */
    private void deriveActivationFracs() {
        for (int l = 0; l < layers; l++) {
            if (kind[l] == RELU) {
                q[layout.layerFracIndex(l)] = frac(l - 1);
            } else if (kind[l] == TANH || kind[l] == SIGMOID || kind[l] == SOFTMAX) {
                q[layout.layerFracIndex(l)] = 15;
            }
        }
    }

    private int frac(int layer) {
        return q[layout.layerFracIndex(layer)];
    }

    @Override
    public Model snapshot() {
        short[] p = new short[layout.architecture.parameterCount()];
        System.arraycopy(s, weights, p, 0, p.length);
        int[] tf = new int[tensorHits.length];
        for (int t = 0; t < tf.length; t++) {
            tf[t] = q[layout.tensorFracIndex(t)];
        }
        int[] of = new int[layout.architecture.parametrizedLayerCount()];
        int k = 0;
        for (int l = 0; l < layers; l++) {
            if (kind[l] == DENSE || kind[l] == CONV1D) {
                of[k++] = frac(l);
            }
        }
        return Model.ofS16(layout.architecture, p, tf, frac(-1), of);
    }

    @Override
    public void setLearningRate(float lr) {
        long v = Math.round((double) lr * (1 << Kernels.LR_FRAC));
        if (!(lr > 0) || v < 1 || v > (16L << Kernels.LR_FRAC)) {
            throw new IllegalArgumentException("S16 learning rate must be in [2^-17, 16], got " + lr);
        }
        lrQ = (int) v;
    }

    @Override
    public void lastOutput(float[] output) {
        checkOutput(output);
        int y = layout.outOff[outputLayer];
        int yf = frac(outputLayer);
        for (int i = 0; i < output.length; i++) {
            output[i] = FixedPoint.dequantize(s[y + i], yf);
        }
    }

    /** Raw S16 inference for callers that already hold int16 data at the model's input scale. */
    public void inferRaw(short[] input, short[] output) {
        System.arraycopy(input, 0, s, layout.inputOff, input.length);
        forward();
        System.arraycopy(s, layout.outOff[outputLayer], output, 0, output.length);
    }

    @Override
    void loadInput(float[] input) {
        int f = frac(-1);
        int x = layout.inputOff;
        for (int i = 0; i < input.length; i++) {
            long q = FixedPoint.quantizeWide(input[i], f);
            if (FixedPoint.overflows16(q)) {
                saturations++;
            }
            s[x + i] = FixedPoint.saturate16(q);
        }
    }

    @Override
    void forward() {
        for (int l = 0; l < layers; l++) {
            int in = layout.inOff[l];
            int out = layout.outOff[l];
            int xf = frac(l - 1);
            int hits = 0;
            switch (kind[l]) {
                case DENSE -> {
                    int t = layout.tensorOf[l];
                    hits = Dense.forwardS16(s, weights + layout.weightOff[l], q[layout.tensorFracIndex(t)],
                            s, weights + layout.biasOff[l], q[layout.tensorFracIndex(t + 1)], s, in, xf,
                            s, out, frac(l), inSize[l], outSize[l]);
                }
                case CONV1D -> {
                    int t = layout.tensorOf[l];
                    hits = Conv1D.forwardS16(s, weights + layout.weightOff[l], q[layout.tensorFracIndex(t)],
                            s, weights + layout.biasOff[l], q[layout.tensorFracIndex(t + 1)], s, in, xf,
                            s, out, frac(l), convLen[l], convCin[l], convFilters[l], convKernel[l]);
                }
                case RELU -> Activations.reluS16(s, in, s, out, outSize[l]);
                case TANH -> Activations.tanhS16(s, in, xf, s, out, outSize[l]);
                case SIGMOID -> Activations.sigmoidS16(s, in, xf, s, out, outSize[l]);
                default -> Activations.softmaxS16(s, in, xf, s, out, outSize[l]);
            }
            activationHits[l] += hits;
            saturations += hits;
        }
    }

    /**
     * Writes the output gradient to the dx scratch and normalises it into the error vector.
     * MSE: {@code roundDiv((y - t) * 512, n)} at {@code yFrac + 8} bits ({@code 2(y-t)/n} with 8
     * extra bits); cross-entropy: {@code p - t} in Q0.15 ({@code t} quantised to [0, 32768]).
     *
     * @return the loss computed in float from the dequantised output (for reporting only)
     */
    @Override
    float lossAndGradient(float[] target) {
        int y = layout.outOff[outputLayer];
        int dx = layout.dxOff;
        int n = target.length;
        float loss = 0f;
        int gradFrac;
        if (crossEntropy()) {
            for (int i = 0; i < n; i++) {
                int p = s[y + i];
                long t = Math.max(0, Math.min(32768, (long) Math.floor(target[i] * 32768.0 + 0.5)));
                if (target[i] != 0f) {
                    loss -= target[i] * (float) Math.log(Math.max(p * (1f / 32768f), 1e-12f));
                }
                q[dx + i] = (int) (p - t);
            }
            gradFrac = 15;
        } else {
            int yf = frac(outputLayer);
            float scale = FixedPoint.Scales.pow2Neg(yf);
            for (int i = 0; i < n; i++) {
                // The target is quantised to int32, not int16: a target beyond the output's range
                // must still pull the output towards it, and it counts as an output saturation so
                // scale adaptation widens the output range.
                long t = FixedPoint.quantizeWide(target[i], yf);
                if (FixedPoint.overflows16(t)) {
                    activationHits[outputLayer]++;
                    saturations++;
                }
                long e = Math.max(-(1L << 22), Math.min(1L << 22, s[y + i] - t));
                float real = s[y + i] * scale - target[i];
                loss += real * real;
                q[dx + i] = (int) FixedPoint.roundingDivide(e * 512, n);
            }
            loss /= n;
            gradFrac = yf + 8;
        }
        errFrac = Kernels.normalizeS16(q, dx, n, gradFrac, s, layout.errOff);
        return loss;
    }

    @Override
    void backward() {
        int err = layout.errOff;
        int dx = layout.dxOff;
        for (int l = backwardFrom; l >= layout.firstTrainable; l--) {
            int y = layout.outOff[l];
            boolean propagate = l > layout.firstTrainable;
            switch (kind[l]) {
                case RELU -> Activations.reluBackwardS16(s, y, s, err, outSize[l]);
                case TANH -> {
                    Activations.tanhBackwardS16(s, y, s, err, q, dx, outSize[l]);
                    errFrac = Kernels.normalizeS16(q, dx, outSize[l], errFrac + 15, s, err);
                }
                case SIGMOID -> {
                    Activations.sigmoidBackwardS16(s, y, s, err, q, dx, outSize[l]);
                    errFrac = Kernels.normalizeS16(q, dx, outSize[l], errFrac + 15, s, err);
                }
                case DENSE, CONV1D -> backwardParametrized(l, propagate);
                default -> throw new IllegalStateException("softmax inside the network");
            }
        }
    }

    private void backwardParametrized(int l, boolean propagate) {
        int err = layout.errOff;
        int dx = layout.dxOff;
        int t = layout.tensorOf[l];
        int w = weights + layout.weightOff[l];
        int b = weights + layout.biasOff[l];
        int wf = q[layout.tensorFracIndex(t)];
        int bf = q[layout.tensorFracIndex(t + 1)];
        int x = layout.inOff[l];
        int xf = frac(l - 1);
        int trainable = layout.weightOff[l] - layout.trainStart;
        if (propagate) {
            if (kind[l] == DENSE) {
                Dense.backwardInputS16(s, w, s, err, q, dx, q, layout.dxLowOff, inSize[l], outSize[l]);
            } else {
                Conv1D.backwardInputS16(s, w, s, err, q, dx, convLen[l], convCin[l], convFilters[l], convKernel[l]);
            }
        }
        boolean direct = layout.accOff < 0 && layout.masterOff < 0;
        int[] rng = layout.rngOff >= 0 ? q : null;
        if (kind[l] == DENSE && direct) {
            Dense.updateS16(s, w, wf, b, bf, s, x, xf, s, err, errFrac, inSize[l], outSize[l], lrQ, rng, layout.rngOff,
                    tensorHits, t, q, layout.dxLowOff);
        } else if (kind[l] == DENSE) {
            currentTensor = t;
            biasBoundary = b;
            Dense.updateS16(s, w, wf, b, bf, s, x, xf, s, err, errFrac, inSize[l], outSize[l], lrQ, rng, layout.rngOff,
                    this, trainable);
        } else {
            currentTensor = t;
            biasBoundary = b;
            Conv1D.updateS16(s, w, wf, b, bf, s, x, xf, s, err, errFrac, convLen[l], convCin[l], convFilters[l],
                    convKernel[l], lrQ, rng, layout.rngOff, tensorHits, t, direct ? null : this, trainable);
        }
        if (propagate) {
            errFrac = Kernels.normalizeS16(q, dx, inSize[l], wf + errFrac - Kernels.DX_PRESHIFT, s, err);
        }
    }

    /**
     * The landing of one update (see {@link WeightUpdate}) when the kernels cannot write the int16
     * weight directly: into the accumulator (at weight frac + 16) when batching, else into the
     * int32 master weight.
     */
    @Override
    public void apply(short[] w, int index, long update, int shift, int trainable, int noise16) {
        int hitTensor = index >= biasBoundary ? currentTensor + 1 : currentTensor;
        if (layout.accOff >= 0) {
            int i = layout.accOff + trainable;
            q[i] = FixedPoint.saturate32(q[i] + round(update, shift - MASTER_EXTRA, noise16));
        } else {
            landOnMaster(index, trainable, round(update, shift - MASTER_EXTRA, noise16), hitTensor);
        }
    }

    private void landOnMaster(int index, int trainable, long step, int tensor) {
        int m = layout.masterOff + trainable;
        long v = q[m] - step;
        if (v > MASTER_MAX || v < MASTER_MIN) {
            tensorHits[tensor]++;
            v = Math.max(MASTER_MIN, Math.min(MASTER_MAX, v));
        }
        q[m] = (int) v;
        s[index] = FixedPoint.roundingShiftSat16(v, MASTER_EXTRA);
    }

    /** Rounds like the direct kernels with the noise the kernel chose for this element. */
    private long round(long v, int shift, int noise16) {
        return stochastic ? StepRounding.stochastic(v, shift, noise16) : StepRounding.nearest(v, shift);
    }

    /** The batch position lives in the arena (as in the C runtime), so a snapshot of the arena is the whole state. */
    @Override
    boolean batchComplete() {
        if (layout.batchOff < 0) {
            return true; // one step per batch (momentum alone)
        }
        if (++q[layout.batchOff] < layout.config.accumulationSteps()) {
            return false;
        }
        q[layout.batchOff] = 0;
        return true;
    }

    /**
     * End of a batch: {@code d = roundDiv(acc, k)}, with momentum {@code v = round(mu v / 2^16) + d},
     * then {@code w -= d} (rounded from frac + 16 to the weight's frac with one draw per tensor, or
     * straight into the master).
     */
    @Override
    void applyAccumulated() {
        int k = layout.config.accumulationSteps();
        for (int l = layout.firstTrainable; l < layers; l++) {
            if (kind[l] != DENSE && kind[l] != CONV1D) {
                continue;
            }
            for (int part = 0; part < 2; part++) {
                int tensor = layout.tensorOf[l] + part;
                int draw = stochastic ? (q[layout.rngOff] = StepRounding.xorshift32(q[layout.rngOff])) : 0;
                for (int p = layout.tensorStart[tensor]; p < layout.tensorStart[tensor + 1]; p++) {
                    int trainable = p - layout.trainStart;
                    int acc = layout.accOff + trainable;
                    long d = FixedPoint.roundingDivide(q[acc], k);
                    q[acc] = 0;
                    if (layout.velOff >= 0) {
                        int vel = layout.velOff + trainable;
                        d = FixedPoint.saturate32(FixedPoint.roundingShift((long) momentumQ * q[vel], Kernels.LR_FRAC) + d);
                        q[vel] = (int) d;
                    }
                    int index = weights + p;
                    if (layout.masterOff >= 0) {
                        landOnMaster(index, trainable, d, tensor);
                    } else {
                        long v = s[index] - round(d, MASTER_EXTRA, StepRounding.noise(draw, p - layout.tensorStart[tensor]));
                        if (FixedPoint.overflows16(v)) {
                            tensorHits[tensor]++;
                        }
                        s[index] = FixedPoint.saturate16(v);
                    }
                }
            }
        }
    }

    /**
     * Scale adaptation: a trainable tensor that saturated this step loses one fractional bit (all
     * its values, master copies, accumulators and velocities are halved with rounding); a layer
     * whose output saturated does too. Scales never go below 0 fractional bits.
     */
    @Override
    void endStep() {
        for (int t = 0; t < tensorHits.length; t++) {
            int hits = tensorHits[t];
            if (hits == 0) {
                continue;
            }
            tensorHits[t] = 0;
            saturations += hits;
            int fi = layout.tensorFracIndex(t);
            if (!adapt || q[fi] == 0) {
                continue;
            }
            q[fi]--;
            adaptations++;
            int from = layout.tensorStart[t];
            int to = layout.tensorStart[t + 1];
            for (int p = from; p < to; p++) {
                s[weights + p] = (short) FixedPoint.roundingShift(s[weights + p], 1);
                int trainable = p - layout.trainStart;
                if (trainable < 0) {
                    continue;
                }
                halve(layout.accOff, trainable);
                halve(layout.velOff, trainable);
                if (layout.masterOff >= 0) {
                    halve(layout.masterOff, trainable);
                    s[weights + p] = FixedPoint.roundingShiftSat16(q[layout.masterOff + trainable], MASTER_EXTRA);
                }
            }
        }
        for (int l = 0; l < layers; l++) {
            if (activationHits[l] == 0) {
                continue;
            }
            activationHits[l] = 0;
            int fi = layout.layerFracIndex(l);
            if (adapt && (kind[l] == DENSE || kind[l] == CONV1D) && q[fi] > 0) {
                q[fi]--;
                adaptations++;
                deriveActivationFracs();
            }
        }
    }

    private void halve(int off, int trainable) {
        if (off >= 0) {
            q[off + trainable] = (int) FixedPoint.roundingShift(q[off + trainable], 1);
        }
    }

    @Override
    public long saturationCount() {
        return saturations;
    }

    @Override
    public long scaleAdaptations() {
        return adaptations;
    }

}
