package io.tinyfed.protocol;

/** A device's connection state; the offline state is also its MQTT last will. */
public record DeviceState(String deviceId, boolean online) {
}
