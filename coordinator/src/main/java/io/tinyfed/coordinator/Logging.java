package io.tinyfed.coordinator;

/** Process-wide logging setup for TinyFed entry points that run the coordinator. */
public final class Logging {
    private Logging() {
    }

    /**
     * Selects TinyFed's logback configuration (the embedded broker's jar carries its own
     * {@code logback.xml}) unless the user chose one. Call first thing in {@code main}.
     */
    public static void configure() {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-tinyfed.xml");
        }
    }

    /**
     * For commands that print their own progress: components using {@link System.Logger} (which
     * goes to java.util.logging) report warnings only.
     */
    public static void warningsOnly() {
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(java.util.logging.Level.WARNING);
        for (java.util.logging.Handler h : root.getHandlers()) {
            h.setLevel(java.util.logging.Level.WARNING);
        }
    }
}
