package io.tinyfed.protocol;

/**
 * What a device's online learner reports.
 *
 * @param prequentialAccuracy NaN for regression models
 */
public record DeviceMetrics(String deviceId, long samplesSeen, double prequentialLoss, double prequentialAccuracy,
                            long saturations, long arenaBytes) {
}
