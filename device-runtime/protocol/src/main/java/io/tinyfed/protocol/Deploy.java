package io.tinyfed.protocol;

import java.time.Instant;

/**
 * The coordinator's instruction to one device of a rollout: {@link Action#INSTALL} serves
 * {@code snapshot}'s version (after {@code personaliseSteps} SGD steps on the device's own recent
 * samples, when positive) and compares it with the version served so far on the next
 * {@code shadowSamples} live samples; {@link Action#ROLLBACK} returns to the version served before
 * the last install. {@code snapshot} is null for a rollback.
 */
public record Deploy(String rolloutId, int wave, Action action, ModelSnapshot snapshot, int shadowSamples,
                     int personaliseSteps, float personaliseLearningRate, Instant issuedAt) {
    /** Most live samples a device spends comparing a candidate with what it serves. */
    public static final int MAX_SHADOW_SAMPLES = 100_000;

    public enum Action { INSTALL, ROLLBACK }

    public Deploy {
        if ((action == Action.INSTALL) != (snapshot != null)) {
            throw new IllegalArgumentException("an install carries a snapshot, a rollback none");
        }
    }

    /** A rollback of {@code rolloutId}'s install. */
    public static Deploy rollback(String rolloutId, int wave, Instant issuedAt) {
        return new Deploy(rolloutId, wave, Action.ROLLBACK, null, 0, 0, 0f, issuedAt);
    }

    /**
     * The device's own bounds, checked even when the signature is valid (as for tasks): no
     * personalisation longer than a task's adaptation, no shadow phase without end.
     */
    public void requireWithinDeviceBounds() throws ProtocolException {
        if (shadowSamples > MAX_SHADOW_SAMPLES || personaliseSteps > TrainTask.MAX_INNER_STEPS) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "deploy of " + rolloutId + " asks for "
                    + shadowSamples + " shadow samples and " + personaliseSteps + " personalisation steps; a device "
                    + "allows " + MAX_SHADOW_SAMPLES + " and " + TrainTask.MAX_INNER_STEPS);
        }
    }
}
