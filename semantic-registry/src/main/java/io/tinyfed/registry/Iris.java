package io.tinyfed.registry;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** How the registry names what it describes. Ids are percent-encoded, so any id gives a valid IRI. */
public final class Iris {
    /** Base of every IRI the registry mints. */
    public static final String BASE = "https://tinyfed.io/id/";
    /** Observable properties named by devices' sensor lists, e.g. {@code .../property/temperature}. */
    public static final String PROPERTY = "https://tinyfed.io/property/";

    private Iris() {
    }

    public static String device(String fleet, String deviceId) {
        return BASE + "device/" + enc(fleet) + "/" + enc(deviceId);
    }

    /** The device id inside a device IRI minted by {@link #device}; null for any other IRI. */
    public static String deviceId(String iri) {
        String prefix = BASE + "device/";
        if (!iri.startsWith(prefix)) {
            return null;
        }
        String rest = iri.substring(prefix.length());
        int slash = rest.indexOf('/');
        if (slash < 0 || rest.indexOf('/', slash + 1) >= 0) {
            return null;
        }
        return java.net.URLDecoder.decode(rest.substring(slash + 1), StandardCharsets.UTF_8);
    }

    public static String model(String modelId) {
        return BASE + "model/" + enc(modelId);
    }

    public static String version(String modelId, long version) {
        return model(modelId) + "/v" + version;
    }

    public static String round(String modelId, int round) {
        return model(modelId) + "/round/" + round;
    }

    /** One device's part in one rollout. */
    public static String deployment(String fleet, String deviceId, String rolloutId) {
        return device(fleet, deviceId) + "/deployment/" + enc(rolloutId);
    }

    /** The last deploy a device refused. */
    public static String refusal(String fleet, String deviceId) {
        return device(fleet, deviceId) + "/last-refusal";
    }

    /** A rollout of a fleet (a {@code prov:Activity}). */
    public static String rollout(String fleet, String rolloutId) {
        return BASE + "rollout/" + enc(fleet) + "/" + enc(rolloutId);
    }

    public static String property(String name) {
        return PROPERTY + enc(name);
    }

    /** The named graph an imported file's triples live in (re-importing the file replaces them). */
    public static String importGraph(String fileName) {
        return BASE + "import/" + enc(fileName);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
