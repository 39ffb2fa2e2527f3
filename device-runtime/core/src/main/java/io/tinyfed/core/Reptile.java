package io.tinyfed.core;

import java.util.List;

/**
 * The Reptile building blocks as pure functions, shared by devices and the coordinator:
 * adapt a copy of the meta-model on local samples, take the delta {@code phi - theta}, and move
 * the meta-model {@code theta <- theta + epsilon * weighted_mean(deltas)}.
 */
public final class Reptile {
    private Reptile() {
    }

    /**
     * Loads {@code theta} into {@code scratch} and runs {@code steps} SGD steps at {@code lr} over
     * {@code samples} in order, cycling. One step is one update: with
     * {@link TrainingConfig#accumulationSteps()} = k it consumes k samples. {@code theta} is not
     * modified; {@code scratch}'s previous parameters are overwritten.
     *
     * @return the adapted parameters phi
     */
    public static Model adapt(Network scratch, Model theta, List<Sample> samples, int steps, float lr) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("cannot adapt on zero samples");
        }
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        }
        scratch.load(theta);
        scratch.setLearningRate(lr);
        int calls = steps * scratch.config().accumulationSteps();
        for (int i = 0; i < calls; i++) {
            Sample s = samples.get(i % samples.size());
            scratch.trainStep(s.x(), s.y());
        }
        return scratch.snapshot();
    }

    /**
     * Partial local reconstruction: the personal layers (the last {@code personalLayers} parametrised layers) never leave
     * the device; this zeroes their part of a delta in place, so that only the shared part is federated. A device
     * re-fits them before it adapts ({@link #adapt} on a network that trains only those layers), from the meta-model's,
     * which the coordinator never moves.
     */
    public static void keepPersonal(float[] delta, Architecture architecture, int personalLayers) {
        if (delta.length != architecture.parameterCount()) {
            throw new IllegalArgumentException("delta of " + delta.length + " values for " + architecture.parameterCount()
                    + " parameters");
        }
        java.util.Arrays.fill(delta, architecture.personalStart(personalLayers), delta.length, 0f);
    }

    /** {@code phi - theta} in real values (S16 models dequantised). Same architecture required. */
    public static float[] delta(Model phi, Model theta) {
        if (!phi.architecture().equals(theta.architecture())) {
            throw new IllegalArgumentException("delta between different architectures");
        }
        float[] p = phi.toRealVector();
        float[] t = theta.toRealVector();
        for (int i = 0; i < p.length; i++) {
            p[i] -= t[i];
        }
        return p;
    }

    /**
     * The outer step {@code theta + epsilon * sum(w_i d_i) / sum(w_i)}, accumulated in double in
     * list order (deterministic). Weights are typically sample counts.
     *
     * @throws IllegalArgumentException on length mismatch, non-finite deltas, negative weights or a
     *                                  zero weight sum; nothing is returned half-computed
     */
    public static float[] outerStep(float[] theta, List<float[]> deltas, double[] weights, double epsilon) {
        if (deltas.size() != weights.length) {
            throw new IllegalArgumentException(deltas.size() + " deltas but " + weights.length + " weights");
        }
        if (deltas.isEmpty()) {
            throw new IllegalArgumentException("outer step needs at least one delta");
        }
        if (!(epsilon >= 0) || !Double.isFinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be finite and >= 0, got " + epsilon);
        }
        double total = 0;
        for (int k = 0; k < weights.length; k++) {
            if (!(weights[k] >= 0) || !Double.isFinite(weights[k])) {
                throw new IllegalArgumentException("weight " + k + " must be finite and >= 0, got " + weights[k]);
            }
            total += weights[k];
            float[] d = deltas.get(k);
            if (d.length != theta.length) {
                throw new IllegalArgumentException("delta " + k + " has " + d.length + " values, theta " + theta.length);
            }
            for (int i = 0; i < d.length; i++) {
                if (!Float.isFinite(d[i])) {
                    throw new IllegalArgumentException("delta " + k + " has a non-finite value at " + i);
                }
            }
        }
        if (!(total > 0)) {
            throw new IllegalArgumentException("weights sum to zero");
        }
        double[] mean = new double[theta.length];
        for (int k = 0; k < weights.length; k++) {
            float[] d = deltas.get(k);
            double w = weights[k] / total;
            for (int i = 0; i < d.length; i++) {
                mean[i] += w * d[i];
            }
        }
        float[] next = new float[theta.length];
        for (int i = 0; i < next.length; i++) {
            next[i] = (float) (theta[i] + epsilon * mean[i]);
        }
        return next;
    }

    /** {@link #outerStep(float[], List, double[], double)} on a model; S16 keeps its scales. */
    public static Model outerStep(Model theta, List<float[]> deltas, double[] weights, double epsilon) {
        return theta.withRealParameters(outerStep(theta.toRealVector(), deltas, weights, epsilon));
    }
}
