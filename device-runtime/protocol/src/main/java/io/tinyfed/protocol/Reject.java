package io.tinyfed.protocol;

/**
 * A refusal sent back to a device so it knows its message was not used.
 *
 * @param round    the round concerned, 0 when none
 * @param deviceId the device concerned
 */
public record Reject(RejectReason reason, String detail, int round, String deviceId) {
}
