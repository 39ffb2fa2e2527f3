package io.tinyfed.coordinator.strategy;

import io.tinyfed.protocol.RejectReason;

/** A selected device whose contribution was not used, and why (a value, not an exception). */
public record Failure(String deviceId, RejectReason reason, String detail) {
}
