package io.tinyfed.registry.importer;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Maps the many names real descriptions use for a sensor ({@code demo:Accelerometer},
 * {@code sosa_extend:Camera}, a TD property called {@code temp}) onto one observable-property name
 * per physical quantity, the names devices use in their hello ({@code temperature}, ...).
 */
final class ObservableProperties {
    /** Lower-case name fragment -> observable property; first match wins, so longer fragments come first. */
    private static final Map<String, String> FRAGMENTS = new LinkedHashMap<>();

    static {
        FRAGMENTS.put("accel", "acceleration");
        FRAGMENTS.put("gyro", "angular-velocity");
        FRAGMENTS.put("orientation", "angular-velocity");
        FRAGMENTS.put("magnet", "magnetic-field");
        FRAGMENTS.put("microphone", "sound");
        FRAGMENTS.put("sound", "sound");
        FRAGMENTS.put("audio", "sound");
        FRAGMENTS.put("camera", "image");
        FRAGMENTS.put("image", "image");
        FRAGMENTS.put("thermo", "temperature");
        FRAGMENTS.put("temp", "temperature");
        FRAGMENTS.put("humid", "humidity");
        FRAGMENTS.put("pressure", "pressure");
        FRAGMENTS.put("barometer", "pressure");
        FRAGMENTS.put("light", "light");
        FRAGMENTS.put("lux", "light");
        FRAGMENTS.put("co2", "co2");
        FRAGMENTS.put("gas", "gas");
        FRAGMENTS.put("proximity", "proximity");
        FRAGMENTS.put("gesture", "gesture");
        FRAGMENTS.put("pir", "motion");
        FRAGMENTS.put("motion", "motion");
        FRAGMENTS.put("vibration", "vibration");
        FRAGMENTS.put("color", "color");
    }

    private ObservableProperties() {
    }

    /** The observable property a sensor class or property name stands for, if it is recognisable. */
    static Optional<String> of(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (Map.Entry<String, String> e : FRAGMENTS.entrySet()) {
            if (n.contains(e.getKey())) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }
}
