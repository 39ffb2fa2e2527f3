package io.tinyfed.registry.internal;

import io.tinyfed.registry.Iris;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The reasons a device misses a model's requirements, from the same facts matchmaking compares: number formats, the
 * arena in the best format the device supports, flash, and the observable properties the model requires. Pure, so
 * that what {@code --explain} says is tested apart from the store.
 */
final class Explanations {
    private Explanations() {
    }

    /** Why {@code device} does not meet {@code needs} and {@code required}; empty when it does. */
    static List<String> reasons(MatchIndex.Device device, List<MatchIndex.Need> needs, Set<String> required) {
        List<String> out = new ArrayList<>();
        if (needs.isEmpty()) {
            out.add("the model states no requirement for this purpose");
            return out;
        }
        if (MatchIndex.fit(device.ram, device.flash, device.formats, device.senses.containsAll(required), needs) != null) {
            return out; // the device matches: in some format, everything fits
        }
        if (device.ram < 0) {
            out.add("RAM unknown");
        }
        int modelFormats = 0;
        for (MatchIndex.Need n : needs) {
            modelFormats |= n.formatBit();
        }
        MatchIndex.Need closest = null;
        for (MatchIndex.Need n : needs) {
            if ((device.formats & n.formatBit()) != 0 && (closest == null || n.bytes() < closest.bytes())) {
                closest = n;
            }
        }
        if (closest == null) {
            out.add("no number format the model comes in (it: " + MatchIndex.formatNames(modelFormats) + "; the device: "
                    + (device.formats == 0 ? "none stated" : MatchIndex.formatNames(device.formats)) + ")");
        } else {
            String format = MatchIndex.localName(closest.format());
            if (device.ram >= 0 && device.ram < closest.bytes()) {
                out.add(String.format(Locale.ROOT, "RAM short by %,d B (needs %,d B%s in %s, has %,d B)",
                        closest.bytes() - device.ram, closest.bytes(), closest.estimated() ? " estimated" : "", format,
                        device.ram));
            }
            if (device.flash < closest.flash()) {
                out.add(String.format(Locale.ROOT, "flash short by %,d B (needs %,d B, has %,d B)",
                        closest.flash() - device.flash, closest.flash(), device.flash));
            }
        }
        Set<String> missing = new TreeSet<>();
        for (String property : required) {
            if (!device.senses.contains(property)) {
                missing.add(property.startsWith(Iris.PROPERTY) ? java.net.URLDecoder.decode(
                        property.substring(Iris.PROPERTY.length()), java.nio.charset.StandardCharsets.UTF_8) : property);
            }
        }
        missing.forEach(p -> out.add("no sensor of " + p));
        return out;
    }
}
