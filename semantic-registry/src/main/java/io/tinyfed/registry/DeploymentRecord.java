package io.tinyfed.registry;

import java.time.Instant;

/** A model version installed on a device in a number format. */
public record DeploymentRecord(String fleet, String deviceId, String modelId, long version, String format, Instant at) {
    public String iri() {
        return Iris.deployment(fleet, deviceId, modelId, version);
    }
}
