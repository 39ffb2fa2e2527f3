package io.tinyfed.protocol;

/**
 * One device's answer to a {@link TrainTask}: the dense delta {@code phi - theta} in real values
 * (how it travels, F32 or S16, dense or top-k, is chosen at encoding), the number of samples it
 * adapted on (the aggregation weight) and its loss before and after adaptation.
 */
public record ModelUpdate(int round, String deviceId, String modelId, long baseVersion, float[] delta,
                          int sampleCount, float lossBefore, float lossAfter) {
    public ModelUpdate {
        delta = delta.clone();
    }

    @Override
    public float[] delta() {
        return delta.clone();
    }
}
