package io.tinyfed.registry;

import java.time.Instant;
import java.util.Objects;

/**
 * A device going online or offline at an instant, as its state topic reports it; many of them are
 * written in one transaction by {@link Registry#setOnline(String, java.util.List)}.
 */
public record Presence(String deviceId, boolean online, Instant at) {
    public Presence {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(at, "at");
    }
}
