package io.tinyfed.registry;

import java.util.List;

/**
 * Why a device cannot run (or train) a model: one line per requirement it misses, e.g. {@code RAM short by 12,288 B
 * (needs 110,592 B in S8, has 98,304 B)}, {@code no sensor of image}, {@code no number format the model comes in
 * (it: S16; the device: S8, F32)}.
 */
public record Exclusion(String deviceIri, List<String> reasons) {
    public Exclusion {
        reasons = List.copyOf(reasons);
    }
}
