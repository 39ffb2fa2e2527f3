package io.tinyfed.registry;

import java.time.Instant;

/**
 * The last deploy a device refused (bad signature, bounds, a version it cannot run), with how many it
 * has refused in all: one record per device, replaced by every refusal, so a flood of forged deploys
 * naming invented rollouts cannot grow the registry. {@code namedRollout} is the rollout id the refused
 * deploy named; it is unverified (a forged deploy names what its sender chose).
 */
public record RefusalRecord(String fleet, String deviceId, String namedRollout, String reason, Instant at, long count) {
    public RefusalRecord {
        namedRollout = namedRollout == null ? "" : namedRollout;
        reason = reason == null ? "" : reason;
        if (count < 1) {
            throw new IllegalArgumentException("a refusal record counts at least one refusal");
        }
    }

    public String iri() {
        return Iris.refusal(fleet, deviceId);
    }
}
