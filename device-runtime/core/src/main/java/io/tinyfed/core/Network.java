package io.tinyfed.core;

import io.tinyfed.core.internal.F32Engine;
import io.tinyfed.core.internal.Layout;
import io.tinyfed.core.internal.S16Engine;

/**
 * A model prepared to run on the device: one arena planned and allocated up front by
 * {@link #prepare}, then {@link #infer} and {@link #trainStep} allocate nothing. Not thread-safe:
 * a network belongs to one thread (the device loop); use one per thread.
 *
 * <p>Phases, as in TFLite Micro: {@code prepare} does every check with numbers and throws
 * ({@link ArenaBudgetException} when the arena does not fit); the hot path only asserts.
 */
public interface Network {

    /**
     * Plans and allocates the arena for {@code model} under {@code config}.
     *
     * @throws ArenaBudgetException     if the plan exceeds {@link TrainingConfig#arenaBudgetBytes()}
     * @throws IllegalArgumentException if the loss does not fit the architecture
     */
    static Network prepare(Model model, TrainingConfig config) {
        Layout layout = Layout.plan(model.architecture(), model.format(), config);
        if (layout.totalBytes() > config.arenaBudgetBytes()) {
            throw new ArenaBudgetException(layout.publicPlan(), config.arenaBudgetBytes());
        }
        Layer last = model.architecture().layer(model.architecture().size() - 1);
        boolean softmaxLast = last instanceof Layer.Activation a && a.kind() == Layer.Kind.SOFTMAX;
        if (layout.training && config.loss() == Loss.SOFTMAX_CROSS_ENTROPY && !softmaxLast) {
            throw new IllegalArgumentException("softmax cross-entropy needs an architecture that ends in Softmax");
        }
        if (layout.training && config.loss() == Loss.MSE && softmaxLast) {
            throw new IllegalArgumentException("a Softmax output trains only with SOFTMAX_CROSS_ENTROPY loss");
        }
        if (config.learningRate() > 16f) {
            throw new IllegalArgumentException("learning rate " + config.learningRate() + " exceeds 16");
        }
        return switch (model.format()) {
            case F32 -> new F32Engine(layout, model);
            case S16 -> new S16Engine(layout, model);
        };
    }

    /** Prepares for inference only, within {@code budgetBytes}. */
    static Network prepareForInference(Model model, long budgetBytes) {
        return prepare(model, TrainingConfig.inference().toBuilder().arenaBudgetBytes(budgetBytes).build());
    }

    /** Runs the network on {@code input} (length {@link Architecture#inputSize()}) into {@code output}. */
    void infer(float[] input, float[] output);

    /**
     * One SGD step on one sample (or one accumulation step when
     * {@link TrainingConfig#accumulationSteps()} > 1): forward, loss, backward, update.
     *
     * @return the sample's loss before the update; a non-finite loss (F32 overflow after a
     *         diverging learning rate) skips the update and {@link #snapshot()} then refuses the
     *         non-finite parameters until a model is loaded
     * @throws IllegalStateException if the network was prepared for inference only
     */
    float trainStep(float[] input, float[] target);

    /** Copies the output of the most recent forward pass ({@code infer} or {@code trainStep}). */
    void lastOutput(float[] output);

    /** Changes the learning rate without re-planning (e.g. for Reptile inner loops). */
    void setLearningRate(float learningRate);

    /** Replaces the parameters (and S16 scales) with {@code model}'s; same architecture and format. */
    void load(Model model);

    /** A copy of the current parameters and scales. Allocates; not for the hot path. */
    Model snapshot();

    /** The exact arena plan in use. */
    ArenaPlan arenaPlan();

    /** Bytes of the one arena this network uses. */
    default long arenaUsedBytes() {
        return arenaPlan().totalBytes();
    }

    /** S16: activation and weight values that hit the int16 limits since prepare; F32: 0. */
    long saturationCount();

    /** S16: times a tensor or activation scale was halved by scale adaptation; F32: 0. */
    long scaleAdaptations();

    Architecture architecture();

    NumberFormat format();

    TrainingConfig config();
}
