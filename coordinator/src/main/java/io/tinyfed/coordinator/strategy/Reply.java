package io.tinyfed.coordinator.strategy;

/** An accepted update: the device's delta {@code phi - theta} and its weight (sample count). */
public record Reply(String deviceId, float[] delta, int sampleCount, float lossBefore, float lossAfter) {
}
