package io.tinyfed.core;

/**
 * How a {@link Network} trains: loss, learning rate, which layers learn, the S16 remedies for
 * updates below one LSB, and the arena budget. Immutable; build with {@link #builder()}.
 *
 * @param loss              training loss
 * @param learningRate      SGD step size, {@code > 0}
 * @param trainableLayers   how many of the last parametrised layers learn (TinyOL-style last-layer
 *                          learning with 1); {@link #ALL_LAYERS} for all; 0 prepares inference only
 * @param accumulationSteps samples whose gradients are averaged before one update (1 = online SGD)
 * @param momentum          classical momentum in [0, 1); 0 disables the velocity buffer
 * @param rounding          how S16 weight updates are rounded to int16
 * @param masterWeights     keep int32 master copies of S16 trainable weights (16 extra fractional bits)
 * @param scaleAdaptation   on saturation, halve a tensor's resolution (one fractional bit less)
 * @param seed              seed of the stochastic-rounding generator
 * @param arenaBudgetBytes  largest arena {@code prepare} may plan
 * @param uplinkResidual    plan the residual of compressed updates in the arena (what {@link DeltaCompressor} keeps
 *                          with error feedback: one value per parameter in the model's format, and an S16 residual's
 *                          scale), for the C runtime's {@code tf_compress_s16}; the JVM's compressor keeps its own
 */
public record TrainingConfig(Loss loss, float learningRate, int trainableLayers, int accumulationSteps,
                             float momentum, Rounding rounding, boolean masterWeights,
                             boolean scaleAdaptation, long seed, long arenaBudgetBytes, boolean uplinkResidual) {

    public static final int ALL_LAYERS = Integer.MAX_VALUE;

    /** Rounding of S16 weight updates (F32 ignores it). */
    public enum Rounding {
        /** Round half up: an update below half an LSB is lost. */
        NEAREST,
        /** Add seeded uniform noise below the LSB before flooring: unbiased in expectation. */
        STOCHASTIC
    }

    public TrainingConfig {
        if (loss == null || rounding == null) {
            throw new IllegalArgumentException("loss and rounding must not be null");
        }
        if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be positive and finite, got " + learningRate);
        }
        if (trainableLayers < 0) {
            throw new IllegalArgumentException("trainableLayers must be >= 0, got " + trainableLayers);
        }
        if (accumulationSteps < 1) {
            throw new IllegalArgumentException("accumulationSteps must be >= 1, got " + accumulationSteps);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (arenaBudgetBytes <= 0) {
            throw new IllegalArgumentException("arena budget must be positive, got " + arenaBudgetBytes);
        }
    }

    /** Defaults: MSE, lr 0.01, all layers, online SGD, stochastic rounding, scale adaptation on. */
    public static Builder builder() {
        return new Builder();
    }

    /** Inference only: no gradient, optimiser or training-activation memory is planned. */
    public static TrainingConfig inference() {
        return builder().trainableLayers(0).build();
    }

    public boolean trains() {
        return trainableLayers > 0;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.loss = loss;
        b.learningRate = learningRate;
        b.trainableLayers = trainableLayers;
        b.accumulationSteps = accumulationSteps;
        b.momentum = momentum;
        b.rounding = rounding;
        b.masterWeights = masterWeights;
        b.scaleAdaptation = scaleAdaptation;
        b.seed = seed;
        b.arenaBudgetBytes = arenaBudgetBytes;
        b.uplinkResidual = uplinkResidual;
        return b;
    }

    /** Mutable builder; every setter validates when {@link #build()} runs. */
    public static final class Builder {
        private Loss loss = Loss.MSE;
        private float learningRate = 0.01f;
        private int trainableLayers = ALL_LAYERS;
        private int accumulationSteps = 1;
        private float momentum = 0f;
        private Rounding rounding = Rounding.STOCHASTIC;
        private boolean masterWeights = false;
        private boolean scaleAdaptation = true;
        private long seed = 0;
        private long arenaBudgetBytes = Integer.MAX_VALUE;
        private boolean uplinkResidual = false;

        public Builder loss(Loss v) {
            loss = v;
            return this;
        }

        public Builder learningRate(float v) {
            learningRate = v;
            return this;
        }

        public Builder trainableLayers(int v) {
            trainableLayers = v;
            return this;
        }

        public Builder accumulationSteps(int v) {
            accumulationSteps = v;
            return this;
        }

        public Builder momentum(float v) {
            momentum = v;
            return this;
        }

        public Builder rounding(Rounding v) {
            rounding = v;
            return this;
        }

        public Builder masterWeights(boolean v) {
            masterWeights = v;
            return this;
        }

        public Builder scaleAdaptation(boolean v) {
            scaleAdaptation = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder arenaBudgetBytes(long v) {
            arenaBudgetBytes = v;
            return this;
        }

        public Builder uplinkResidual(boolean v) {
            uplinkResidual = v;
            return this;
        }

        public TrainingConfig build() {
            return new TrainingConfig(loss, learningRate, trainableLayers, accumulationSteps, momentum, rounding,
                    masterWeights, scaleAdaptation, seed, arenaBudgetBytes, uplinkResidual);
        }
    }
}
