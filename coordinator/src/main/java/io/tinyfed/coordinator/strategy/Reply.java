package io.tinyfed.coordinator.strategy;

/**
 * An accepted update: the device's delta {@code phi - theta}, its weight (sample count), and its staleness: how many
 * versions the meta-model moved on between the version the delta was computed on and the one it is applied to (0 in
 * synchronous rounds; asynchronous aggregation weighs stale deltas down).
 */
public record Reply(String deviceId, float[] delta, int sampleCount, float lossBefore, float lossAfter, int staleness) {
    public Reply {
        if (staleness < 0) {
            throw new IllegalArgumentException("staleness must be >= 0, got " + staleness);
        }
    }

    /** A reply computed on the version it is applied to. */
    public Reply(String deviceId, float[] delta, int sampleCount, float lossBefore, float lossAfter) {
        this(deviceId, delta, sampleCount, lossBefore, lossAfter, 0);
    }

    /** The same reply with another weight (screening caps outlying weights). */
    public Reply withSampleCount(int n) {
        return new Reply(deviceId, delta, n, lossBefore, lossAfter, staleness);
    }
}
