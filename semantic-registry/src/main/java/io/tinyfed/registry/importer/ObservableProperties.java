package io.tinyfed.registry.importer;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.jena.rdf.model.Resource;

/**
 * The observable property (one name per physical quantity, the names devices use in their hello: {@code temperature},
 * {@code image}, ...) that a sensor in a description stands for.
 *
 * <p>Sensor <em>classes</em> ({@code sosa_extend:Camera}, {@code demo:Accelerometer}) are recognised by their exact
 * name only, from the classes published TinyML descriptions use; anything else is unknown, and a class IRI that is
 * not well formed ({@code sosa_extend::Magnetometer}) is malformed: both are reported, never guessed from a fragment
 * of the name. WoT property <em>names</em> ({@code temp}, {@code humidity}) are free text and are matched by fragment
 * ({@link #ofPropertyName}).
 */
final class ObservableProperties {
    /** Lower-case sensor class local name -> observable property. */
    private static final Map<String, String> CLASSES = new LinkedHashMap<>();
    /** Lower-case name fragment -> observable property; first match wins, so longer fragments come first. */
    private static final Map<String, String> FRAGMENTS = new LinkedHashMap<>();

    static {
        for (String[] c : new String[][] {
            {"accelerometer", "acceleration"}, {"gyroscope", "angular-velocity"}, {"magnetometer", "magnetic-field"},
            {"microphone", "sound"}, {"camera", "image"}, {"imagesensor", "image"}, {"thermometer", "temperature"},
            {"temperaturesensor", "temperature"}, {"humiditysensor", "humidity"}, {"hygrometer", "humidity"},
            {"barometer", "pressure"}, {"pressuresensor", "pressure"}, {"lightsensor", "light"},
            {"ambientlightsensor", "light"}, {"co2sensor", "co2"}, {"gassensor", "gas"}, {"proximitysensor", "proximity"},
            {"gesturesensor", "gesture"}, {"pirsensor", "motion"}, {"motionsensor", "motion"},
            {"vibrationsensor", "vibration"}, {"colorsensor", "color"}}) {
            CLASSES.put(c[0], c[1]);
        }
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

    /** What a sensor class says: the property it observes, or why none is taken from it. */
    sealed interface Reading {
        /** A known sensor class: observes {@code property}. */
        record Known(String property) implements Reading {
        }

        /** A class IRI that is not well formed; {@code why} says what is wrong. */
        record Malformed(String why) implements Reading {
        }

        /** A well-formed class TinyFed does not know as a sensor. */
        record Unknown() implements Reading {
        }
    }

    /** The observable property sensor class {@code type} stands for, by its exact name. */
    static Reading ofClass(Resource type) {
        if (!type.isURIResource()) {
            return new Reading.Unknown();
        }
        String iri = type.getURI();
        int cut = Math.max(iri.lastIndexOf('#'), iri.lastIndexOf('/'));
        String name = iri.substring(cut + 1);
        if (name.isEmpty() || name.contains(":") || iri.contains("::")) {
            return new Reading.Malformed("its name '" + name + "' is not a class name (a prefix written with '::'?)");
        }
        String property = CLASSES.get(name.toLowerCase(Locale.ROOT));
        return property == null ? new Reading.Unknown() : new Reading.Known(property);
    }

    /** The observable property a free-text property name (a WoT TD property) stands for, if it is recognisable. */
    static Optional<String> ofPropertyName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (Map.Entry<String, String> e : FRAGMENTS.entrySet()) {
            if (n.contains(e.getKey())) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }
}
