package io.tinyfed.registry;

/**
 * A model (native version or imported description) that fits a device.
 *
 * @param name            schema:name or model id; null when the description has none
 * @param trainableLayers how many layers the device can train (null for {@link Purpose#INFERENCE})
 * @param arenaEstimated  whether the arena is an estimate (tf:estimated: e.g. computed from a .tflite) rather than measured
 */
public record ModelMatch(String modelIri, String name, String format, long arenaBytes, Integer trainableLayers,
                         boolean arenaEstimated) {
}
