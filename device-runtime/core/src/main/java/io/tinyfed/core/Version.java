package io.tinyfed.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The TinyFed release this runtime belongs to (from the build), for {@code --version} and hellos. */
public final class Version {
    private static final String CURRENT = read();

    private Version() {
    }

    /** E.g. {@code 0.1.0}; {@code dev} when the build did not record one. */
    public static String current() {
        return CURRENT;
    }

    private static String read() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "dev";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "dev");
            return v.startsWith("${") ? "dev" : v;
        } catch (IOException e) {
            return "dev";
        }
    }
}
