package io.tinyfed.core.internal;

import io.tinyfed.core.Model;
import io.tinyfed.core.kernels.Activations;
import io.tinyfed.core.kernels.Conv1D;
import io.tinyfed.core.kernels.Dense;

/** The float32 reference engine. The whole arena is one {@code float[]}. */
public final class F32Engine extends EngineBase {
    private final float[] a;
    private final int weights;
    private float learningRate;

    public F32Engine(Layout layout, Model model) {
        super(layout);
        this.a = new float[layout.wideLength];
        this.weights = layout.weightsOff;
        this.learningRate = layout.config.learningRate();
        load(model);
    }

    @Override
    public void load(Model model) {
        checkLoadable(model);
        float[] p = model.f32Parameters();
        System.arraycopy(p, 0, a, weights, p.length);
        if (layout.accOff >= 0) {
            java.util.Arrays.fill(a, layout.accOff, layout.accOff + layout.trainCount, 0f);
        }
        if (layout.velOff >= 0) {
            java.util.Arrays.fill(a, layout.velOff, layout.velOff + layout.trainCount, 0f);
        }
        accumulated = 0;
    }

    @Override
    public Model snapshot() {
        float[] p = new float[layout.architecture.parameterCount()];
        System.arraycopy(a, weights, p, 0, p.length);
        for (int i = 0; i < p.length; i++) {
            if (!Float.isFinite(p[i])) {
                throw new IllegalStateException("training diverged: parameter " + i + " is " + p[i]
                        + "; lower the learning rate and load a model to continue");
            }
        }
        return Model.ofF32(layout.architecture, p);
    }

    @Override
    public void setLearningRate(float lr) {
        if (!(lr > 0) || !Float.isFinite(lr)) {
            throw new IllegalArgumentException("learning rate must be positive and finite, got " + lr);
        }
        learningRate = lr;
    }

    @Override
    public void lastOutput(float[] output) {
        checkOutput(output);
        System.arraycopy(a, layout.outOff[outputLayer], output, 0, output.length);
    }

    /** Inference that also records, per layer, the largest output magnitude seen (calibration). */
    public void inferRecordingRanges(float[] input, float[] maxAbsPerLayer) {
        checkInput(input);
        System.arraycopy(input, 0, a, layout.inputOff, input.length);
        forward();
        for (int l = 0; l < layers; l++) {
            int out = layout.outOff[l];
            for (int i = 0; i < outSize[l]; i++) {
                maxAbsPerLayer[l] = Math.max(maxAbsPerLayer[l], Math.abs(a[out + i]));
            }
        }
    }

    @Override
    void forward() {
        for (int l = 0; l < layers; l++) {
            int in = layout.inOff[l];
            int out = layout.outOff[l];
            switch (kind[l]) {
                case DENSE -> Dense.forwardF32(a, weights + layout.weightOff[l], a, weights + layout.biasOff[l],
                        a, in, a, out, inSize[l], outSize[l]);
                case CONV1D -> Conv1D.forwardF32(a, weights + layout.weightOff[l], a, weights + layout.biasOff[l],
                        a, in, a, out, convLen[l], convCin[l], convFilters[l], convKernel[l]);
                case RELU -> Activations.reluF32(a, in, a, out, outSize[l]);
                case TANH -> Activations.tanhF32(a, in, a, out, outSize[l]);
                case SIGMOID -> Activations.sigmoidF32(a, in, a, out, outSize[l]);
                default -> Activations.softmaxF32(a, in, a, out, outSize[l]);
            }
        }
    }

    @Override
    void loadInput(float[] input) {
        System.arraycopy(input, 0, a, layout.inputOff, input.length);
    }

    @Override
    float lossAndGradient(float[] target) {
        int y = layout.outOff[outputLayer];
        int err = layout.errOff;
        int n = target.length;
        float loss = 0f;
        if (crossEntropy()) {
            for (int i = 0; i < n; i++) {
                float p = a[y + i];
                if (target[i] != 0f) {
                    loss -= target[i] * (float) Math.log(Math.max(p, 1e-12f));
                }
                a[err + i] = p - target[i];
            }
            return loss;
        }
        float scale = 2f / n;
        for (int i = 0; i < n; i++) {
            float e = a[y + i] - target[i];
            loss += e * e;
            a[err + i] = scale * e;
        }
        return loss / n;
    }

    @Override
    void backward() {
        int err = layout.errOff;
        int dx = layout.dxOff;
        boolean direct = layout.accOff < 0;
        for (int l = backwardFrom; l >= layout.firstTrainable; l--) {
            int x = layout.inOff[l];
            int y = layout.outOff[l];
            boolean propagate = l > layout.firstTrainable;
            switch (kind[l]) {
                case RELU -> Activations.reluBackwardF32(a, y, a, err, outSize[l]);
                case TANH -> Activations.tanhBackwardF32(a, y, a, err, outSize[l]);
                case SIGMOID -> Activations.sigmoidBackwardF32(a, y, a, err, outSize[l]);
                case DENSE -> {
                    int w = weights + layout.weightOff[l];
                    if (propagate) {
                        Dense.backwardInputF32(a, w, a, err, a, dx, inSize[l], outSize[l]);
                    }
                    if (direct) {
                        Dense.addGradientF32(a, w, weights + layout.biasOff[l], a, x, a, err, inSize[l], outSize[l],
                                -learningRate);
                    } else {
                        int g = layout.accOff - layout.trainStart;
                        Dense.addGradientF32(a, g + layout.weightOff[l], g + layout.biasOff[l], a, x, a, err,
                                inSize[l], outSize[l], 1f);
                    }
                }
                case CONV1D -> {
                    int w = weights + layout.weightOff[l];
                    if (propagate) {
                        Conv1D.backwardInputF32(a, w, a, err, a, dx, convLen[l], convCin[l], convFilters[l],
                                convKernel[l]);
                    }
                    if (direct) {
                        Conv1D.addGradientF32(a, w, weights + layout.biasOff[l], a, x, a, err, convLen[l], convCin[l],
                                convFilters[l], convKernel[l], -learningRate);
                    } else {
                        int g = layout.accOff - layout.trainStart;
                        Conv1D.addGradientF32(a, g + layout.weightOff[l], g + layout.biasOff[l], a, x, a, err,
                                convLen[l], convCin[l], convFilters[l], convKernel[l], 1f);
                    }
                }
                default -> throw new IllegalStateException("softmax inside the network");
            }
            if (propagate && (kind[l] == DENSE || kind[l] == CONV1D)) {
                System.arraycopy(a, dx, a, err, inSize[l]);
            }
        }
    }

    /** Averages the accumulated gradient over the batch and applies it (with momentum if set). */
    @Override
    void applyAccumulated() {
        float invBatch = 1f / layout.config.accumulationSteps();
        float momentum = layout.config.momentum();
        int w = weights + layout.trainStart;
        int acc = layout.accOff;
        int vel = layout.velOff;
        for (int p = 0; p < layout.trainCount; p++) {
            float step = learningRate * a[acc + p] * invBatch;
            if (vel >= 0) {
                step += momentum * a[vel + p];
                a[vel + p] = step;
            }
            a[w + p] -= step;
            a[acc + p] = 0f;
        }
    }

    @Override
    public long saturationCount() {
        return 0;
    }

    @Override
    public long scaleAdaptations() {
        return 0;
    }
}
