package io.tinyfed.protocol;

import java.time.Instant;

/**
 * The coordinator's request to one device for one round: adapt model {@code modelVersion} with
 * {@code innerSteps} SGD steps at {@code learningRate} (minibatches of {@code batchSize}) and
 * publish the update before {@code deadline}. {@code uplinkPermille} says how much of the delta to send:
 * 0 all of it, in the device's format; 1 to 1000 only the largest that many per mille of its values, as int8
 * ({@link io.tinyfed.core.DeltaCompressor}, with error feedback), for fleets on slow links. {@code personalLayers} > 0
 * asks for partial local reconstruction: the last that many parametrised layers are re-fitted on the device (the rest
 * frozen, {@code innerSteps} steps) before it adapts, and left out of its update
 * ({@link io.tinyfed.core.Reptile#keepPersonal}).
 */
public record TrainTask(int round, String modelId, long modelVersion, int innerSteps, float learningRate,
                        int batchSize, Instant deadline, int uplinkPermille, int personalLayers) {
    /** Most personal layers a task may ask for (a model has a handful of parametrised layers). */
    public static final int MAX_PERSONAL_LAYERS = 64;

    public TrainTask {
        if (uplinkPermille < 0 || uplinkPermille > 1000) {
            throw new IllegalArgumentException("uplink per mille must be in [0, 1000], got " + uplinkPermille);
        }
        if (personalLayers < 0 || personalLayers > MAX_PERSONAL_LAYERS) {
            throw new IllegalArgumentException("personal layers must be in [0, " + MAX_PERSONAL_LAYERS + "], got "
                    + personalLayers);
        }
    }

    /** A task without personal layers. */
    public TrainTask(int round, String modelId, long modelVersion, int innerSteps, float learningRate, int batchSize,
                     Instant deadline, int uplinkPermille) {
        this(round, modelId, modelVersion, innerSteps, learningRate, batchSize, deadline, uplinkPermille, 0);
    }

    /** A task that asks for the whole delta. */
    public TrainTask(int round, String modelId, long modelVersion, int innerSteps, float learningRate, int batchSize,
                     Instant deadline) {
        this(round, modelId, modelVersion, innerSteps, learningRate, batchSize, deadline, 0, 0);
    }

    /** Whether the device sends a compressed delta ({@code uplinkPermille > 0}). */
    public boolean compressedUplink() {
        return uplinkPermille > 0;
    }

    /** The fraction of its delta's values a device sends ({@code uplinkPermille / 1000}). */
    public double uplinkFraction() {
        return uplinkPermille / 1000.0;
    }

    /** Most SGD steps a device runs for one task, whoever signed it: a round is a few steps of adaptation. */
    public static final int MAX_INNER_STEPS = 1_000;
    /** Largest minibatch a task may ask for. */
    public static final int MAX_BATCH = 256;
    /** How far ahead a task's deadline may lie: a device does not hold a task for longer. */
    public static final java.time.Duration MAX_DEADLINE_AHEAD = java.time.Duration.ofHours(1);

    /**
     * The device's own bounds on a task, which agents, gateways and the serial bridge check even when
     * the coordinator's signature is valid: a compromised or misconfigured coordinator cannot make a
     * device train for hours or hold a task for days.
     */
    public void requireWithinDeviceBounds(long nowMillis) throws ProtocolException {
        if (innerSteps > MAX_INNER_STEPS || batchSize > MAX_BATCH) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "task of round " + round + " asks for " + innerSteps
                    + " steps of batch " + batchSize + "; a device runs at most " + MAX_INNER_STEPS + " steps of batch "
                    + MAX_BATCH);
        }
        if (deadline.toEpochMilli() - nowMillis > MAX_DEADLINE_AHEAD.toMillis()) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "task of round " + round + " has its deadline "
                    + deadline + " more than " + MAX_DEADLINE_AHEAD.toMinutes() + " minutes ahead");
        }
    }
}
