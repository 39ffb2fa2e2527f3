package io.tinyfed.registry;

import java.time.Instant;

/**
 * What one device of a rollout reported about it: the rollout's version ({@code version}), the
 * version the device serves now ({@code servingVersion}, null when it serves none), the state of
 * its deploy ({@code received}, {@code shadowing}, {@code serving}, {@code failed},
 * {@code rolled-back}, or {@code pending} / {@code timed-out} for a device that has not answered)
 * and its shadow figures. One record per device and rollout, replaced by every report, so
 * "what is deployed where" is each device's most recent record.
 *
 * @param startedAt     when the coordinator sent the version to the device
 * @param statusAt      when the device's latest report arrived
 * @param candidateLoss mean prequential loss of the rollout's version on the shadow samples; null if not measured
 * @param previousLoss  the same for the version served before; null if not measured
 */
public record DeploymentRecord(String fleet, String deviceId, String rolloutId, int wave, String modelId, long version,
                               Long servingVersion, String format, String state, String reason, Instant startedAt,
                               Instant statusAt, Double candidateLoss, Double previousLoss, boolean personalised) {
    /** The states a record may have. */
    public static final java.util.List<String> STATES = java.util.List.of("pending", "received", "shadowing", "serving",
            "failed", "timed-out", "rollback-sent", "rolled-back");

    public DeploymentRecord {
        reason = reason == null ? "" : reason;
    }

    public String iri() {
        return Iris.deployment(fleet, deviceId, rolloutId);
    }
}
