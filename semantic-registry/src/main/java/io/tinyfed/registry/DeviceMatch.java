package io.tinyfed.registry;

/**
 * A device that can run (or train) a model: for training the format in which it can train the most
 * layers (then the smallest arena), for inference the format with the smallest arena.
 *
 * @param trainableLayers how many layers it can train (null for {@link Purpose#INFERENCE})
 * @param arenaEstimated  whether the arena is an estimate (tf:estimated: e.g. computed from a .tflite) rather than measured
 */
public record DeviceMatch(String deviceIri, String format, long arenaBytes, long ramBytes, Integer trainableLayers,
                          boolean arenaEstimated) {
    /** The fleet device id for devices registered by TinyFed; null for imported descriptions. */
    public String deviceId() {
        return Iris.deviceId(deviceIri);
    }
}
