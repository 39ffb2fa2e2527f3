package io.tinyfed.core.internal;

import io.tinyfed.core.ArenaPlan;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Loss;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.TrainingConfig;

/**
 * What both engines share: the layout, layer dispatch tables (so the hot loop switches on ints
 * instead of walking objects), argument checks and the accumulation counter.
 */
abstract class EngineBase implements Network {
    static final int DENSE = 0;
    static final int CONV1D = 1;
    static final int RELU = 2;
    static final int TANH = 3;
    static final int SIGMOID = 4;
    static final int SOFTMAX = 5;

    final Layout layout;
    final int layers;
    final int[] kind;
    final int[] inSize;
    final int[] outSize;
    /** Conv1D geometry: length, input channels, filters, kernel (0 for other layers). */
    final int[] convLen;
    final int[] convCin;
    final int[] convFilters;
    final int[] convKernel;
    final int outputLayer;
    /** First layer backward visits: the Softmax is fused with cross-entropy and skipped. */
    final int backwardFrom;
    int accumulated;

    EngineBase(Layout layout) {
        this.layout = layout;
        Architecture a = layout.architecture;
        this.layers = a.size();
        this.kind = new int[layers];
        this.inSize = new int[layers];
        this.outSize = new int[layers];
        this.convLen = new int[layers];
        this.convCin = new int[layers];
        this.convFilters = new int[layers];
        this.convKernel = new int[layers];
        for (int l = 0; l < layers; l++) {
            Layer layer = a.layer(l);
            inSize[l] = layer.inputSize();
            outSize[l] = layer.outputSize();
            if (layer instanceof Layer.Dense) {
                kind[l] = DENSE;
            } else if (layer instanceof Layer.Conv1D c) {
                kind[l] = CONV1D;
                convLen[l] = c.length();
                convCin[l] = c.inChannels();
                convFilters[l] = c.filters();
                convKernel[l] = c.kernel();
            } else if (layer instanceof Layer.Activation act) {
                kind[l] = switch (act.kind()) {
                    case RELU -> RELU;
                    case TANH -> TANH;
                    case SIGMOID -> SIGMOID;
                    case SOFTMAX -> SOFTMAX;
                };
            }
        }
        this.outputLayer = layers - 1;
        this.backwardFrom = kind[outputLayer] == SOFTMAX ? outputLayer - 1 : outputLayer;
    }

    final void checkInput(float[] input) {
        if (input.length != inSize[0]) {
            throw new IllegalArgumentException("input has " + input.length + " values, model expects " + inSize[0]);
        }
    }

    final void checkOutput(float[] output) {
        if (output.length != outSize[outputLayer]) {
            throw new IllegalArgumentException("output buffer has " + output.length + " slots, model produces "
                    + outSize[outputLayer]);
        }
    }

    /** Training preconditions; rejects non-finite samples before any state changes. */
    final void checkTrainable(float[] input, float[] target) {
        if (!layout.training) {
            throw new IllegalStateException("network was prepared for inference only (trainableLayers = 0)");
        }
        checkInput(input);
        if (target.length != outSize[outputLayer]) {
            throw new IllegalArgumentException("target has " + target.length + " values, model produces "
                    + outSize[outputLayer]);
        }
        for (int i = 0; i < input.length; i++) {
            if (!Float.isFinite(input[i])) {
                throw new IllegalArgumentException("input[" + i + "] is not finite: " + input[i]);
            }
        }
        for (int i = 0; i < target.length; i++) {
            if (!Float.isFinite(target[i])) {
                throw new IllegalArgumentException("target[" + i + "] is not finite: " + target[i]);
            }
        }
    }

    final void checkLoadable(Model model) {
        if (!model.architecture().equals(layout.architecture) || model.format() != layout.format) {
            throw new IllegalArgumentException("cannot load " + model + " into a network prepared for "
                    + layout.architecture.name() + " " + layout.format);
        }
    }

    @Override
    public final void infer(float[] input, float[] output) {
        checkInput(input);
        checkOutput(output);
        loadInput(input);
        forward();
        lastOutput(output);
    }

    /**
     * Forward, loss, backward, update. A non-finite loss (only F32 can overflow) skips backward and
     * update, so a diverging step does not spread NaN through the weights; the caller sees the loss.
     */
    @Override
    public final float trainStep(float[] input, float[] target) {
        checkTrainable(input, target);
        loadInput(input);
        forward();
        float loss = lossAndGradient(target);
        if (!Float.isFinite(loss)) {
            return loss;
        }
        backward();
        if (layout.accOff >= 0 && batchComplete()) {
            applyAccumulated();
        }
        endStep();
        return loss;
    }

    /** Converts (S16) or copies (F32) the input into the arena's input buffer. */
    abstract void loadInput(float[] input);

    abstract void forward();

    /** Writes the output gradient to the error buffer; returns the loss before the update. */
    abstract float lossAndGradient(float[] target);

    abstract void backward();

    /** End of an accumulation batch: apply the averaged (and momentum) update. */
    abstract void applyAccumulated();

    /** Hook after a completed step (S16 scale adaptation). */
    void endStep() {
    }

    final boolean crossEntropy() {
        return layout.config.loss() == Loss.SOFTMAX_CROSS_ENTROPY;
    }

    /** Counts one accumulation step; true when the batch is complete and the update is due. */
    boolean batchComplete() {
        if (++accumulated < layout.config.accumulationSteps()) {
            return false;
        }
        accumulated = 0;
        return true;
    }

    @Override
    public ArenaPlan arenaPlan() {
        return layout.publicPlan();
    }

    @Override
    public Architecture architecture() {
        return layout.architecture;
    }

    @Override
    public NumberFormat format() {
        return layout.format;
    }

    @Override
    public TrainingConfig config() {
        return layout.config;
    }
}
