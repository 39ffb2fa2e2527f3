package io.tinyfed.registry;

import java.time.Instant;

/**
 * A rollout of a model version to a fleet: its phase ({@code running}, {@code paused},
 * {@code succeeded}, {@code failed}, {@code aborted}, {@code rolled-back}), why it stopped, and when
 * it started and ended ({@code ended} null while it runs).
 */
public record RolloutRecord(String fleet, String rolloutId, String modelId, long version, String phase, String reason,
                            Instant started, Instant ended) {
    public RolloutRecord {
        reason = reason == null ? "" : reason;
    }

    public String iri() {
        return Iris.rollout(fleet, rolloutId);
    }
}
