package io.tinyfed.protocol;

/**
 * One device's answer to a {@link TrainTask}: the dense delta {@code phi - theta} in real values
 * (how it travels, F32 or S16, dense or top-k, is chosen at encoding), the number of samples it
 * adapted on (the aggregation weight) and its loss before and after adaptation. A gateway that
 * pre-aggregates its devices sends one update whose delta is their sample-weighted mean, whose
 * {@code sampleCount} is their total and whose {@code contributors} says how many device updates it
 * sums (1 for a device's own update).
 */
public record ModelUpdate(int round, String deviceId, String modelId, long baseVersion, float[] delta,
                          int sampleCount, float lossBefore, float lossAfter, int contributors) {
    public ModelUpdate {
        if (contributors < 1) {
            throw new IllegalArgumentException("contributors must be >= 1, got " + contributors);
        }
        delta = delta.clone();
    }

    /** One device's own update. */
    public ModelUpdate(int round, String deviceId, String modelId, long baseVersion, float[] delta, int sampleCount,
                       float lossBefore, float lossAfter) {
        this(round, deviceId, modelId, baseVersion, delta, sampleCount, lossBefore, lossAfter, 1);
    }

    /** Length of the delta: the model's parameter count. */
    public int parameterCount() {
        return delta.length;
    }

    @Override
    public float[] delta() {
        return delta.clone();
    }
}
