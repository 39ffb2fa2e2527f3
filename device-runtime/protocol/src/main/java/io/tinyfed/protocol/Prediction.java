package io.tinyfed.protocol;

/**
 * What the model a device serves output for one live sample, before the device learned from it.
 *
 * @param sample the device's sample counter
 * @param atMs   when, in milliseconds since the epoch
 */
public record Prediction(String deviceId, String modelId, long version, long sample, float[] output, long atMs) {
    public Prediction {
        output = output.clone();
    }

    @Override
    public float[] output() {
        return output.clone();
    }
}
