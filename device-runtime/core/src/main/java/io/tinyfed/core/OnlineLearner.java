package io.tinyfed.core;

import java.util.ArrayList;
import java.util.List;

/**
 * TinyOL-style online learning on a stream: every {@link #observe} first tests the current model
 * on the new sample (prequential evaluation), then trains on it, then keeps it in a bounded ring
 * buffer of recent samples (the data a Reptile round adapts on). {@code observe} allocates
 * nothing; the buffer is allocated once at construction.
 */
public final class OnlineLearner {
    private final Network network;
    private final float[][] bufferX;
    private final float[][] bufferY;
    private final float[] prediction;
    private final boolean classification;
    private int next;
    private int buffered;
    private long seen;
    private double lossSum;
    private long correct;

    /**
     * @param network  a network prepared for training; the learner owns it from now on
     * @param capacity how many recent samples to keep ({@code >= 1})
     */
    public OnlineLearner(Network network, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("buffer capacity must be >= 1, got " + capacity);
        }
        if (!network.config().trains()) {
            throw new IllegalArgumentException("online learning needs a network prepared for training");
        }
        this.network = network;
        int in = network.architecture().inputSize();
        int out = network.architecture().outputSize();
        this.bufferX = new float[capacity][in];
        this.bufferY = new float[capacity][out];
        this.prediction = new float[out];
        this.classification = network.config().loss() == Loss.SOFTMAX_CROSS_ENTROPY;
    }

    /**
     * Test-then-train on one sample.
     *
     * @return the sample's loss under the model before this update
     */
    public float observe(float[] x, float[] y) {
        float loss = network.trainStep(x, y);
        seen++;
        lossSum += loss;
        network.lastOutput(prediction);
        if (classification) {
            if (argmax(prediction) == argmax(y)) {
                correct++;
            }
        }
        System.arraycopy(x, 0, bufferX[next], 0, x.length);
        System.arraycopy(y, 0, bufferY[next], 0, y.length);
        next = (next + 1) % bufferX.length;
        buffered = Math.min(buffered + 1, bufferX.length);
        return loss;
    }

    /** Copies into {@code out} what the model output for the last observed sample, before it learned from it. */
    public void lastPrediction(float[] out) {
        System.arraycopy(prediction, 0, out, 0, prediction.length);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Mean prequential loss over every observed sample (NaN before the first). */
    public double prequentialLoss() {
        return seen == 0 ? Double.NaN : lossSum / seen;
    }

    /** Fraction of samples whose class was predicted right before training on them (classification only). */
    public double prequentialAccuracy() {
        if (!classification) {
            throw new IllegalStateException("accuracy is defined for SOFTMAX_CROSS_ENTROPY learners only");
        }
        return seen == 0 ? Double.NaN : (double) correct / seen;
    }

    /** Clears the prequential statistics (not the model or the buffer), e.g. after a drift. */
    public void resetStatistics() {
        seen = 0;
        lossSum = 0;
        correct = 0;
    }

    public long samplesSeen() {
        return seen;
    }

    /** Copies of the buffered samples, oldest first. Allocates. */
    public List<Sample> recentSamples() {
        List<Sample> out = new ArrayList<>(buffered);
        int start = buffered < bufferX.length ? 0 : next;
        for (int k = 0; k < buffered; k++) {
            int i = (start + k) % bufferX.length;
            out.add(new Sample(bufferX[i].clone(), bufferY[i].clone()));
        }
        return out;
    }

    public Network network() {
        return network;
    }
}
