package io.tinyfed.coordinator;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.ConsoleAppender;
import io.tinyfed.protocol.cli.LogOptions;
import org.slf4j.LoggerFactory;

/**
 * Process-wide logging setup for TinyFed entry points that run the coordinator: one log, through
 * logback, in TinyFed's line format ({@code logback-tinyfed.xml}); what TinyFed's components write
 * with {@link System.Logger} (java.util.logging) is routed there too.
 */
public final class Logging {
    /** The text line, as in logback-tinyfed.xml and the agent's {@link LogOptions#line}. */
    static final String TEXT_PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

    private Logging() {
    }

    /**
     * Selects TinyFed's logback configuration (the embedded broker's jar carries its own
     * {@code logback.xml}) unless the user chose one, and routes java.util.logging to it. Call first
     * thing in {@code main}.
     */
    public static void configure() {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-tinyfed.xml");
        }
        if (!org.slf4j.bridge.SLF4JBridgeHandler.isInstalled()) {
            org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
            org.slf4j.bridge.SLF4JBridgeHandler.install();
        }
    }

    /** Applies {@code --log-level}, {@code --quiet} and {@code --log-format} to TinyFed's loggers. */
    public static void apply(LogOptions options) {
        setLevel(options.threshold());
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            if (root.getAppender("STDERR") instanceof ConsoleAppender<ch.qos.logback.classic.spi.ILoggingEvent> console) {
                boolean json = options.format() == LogOptions.Format.JSON;
                if (json != console.getEncoder() instanceof JsonLogEncoder) {
                    ch.qos.logback.core.encoder.Encoder<ch.qos.logback.classic.spi.ILoggingEvent> encoder;
                    if (json) {
                        encoder = new JsonLogEncoder();
                    } else {
                        ch.qos.logback.classic.encoder.PatternLayoutEncoder text =
                                new ch.qos.logback.classic.encoder.PatternLayoutEncoder();
                        text.setPattern(TEXT_PATTERN);
                        encoder = text;
                    }
                    encoder.setContext(context);
                    encoder.start();
                    console.stop();
                    console.setEncoder(encoder);
                    console.start();
                }
            }
        }
    }

    /**
     * For commands that print their own progress: TinyFed's components report warnings only (the
     * libraries' levels stay as configured).
     */
    public static void warningsOnly() {
        setLevel(LogOptions.Threshold.WARN);
    }

    private static void setLevel(LogOptions.Threshold threshold) {
        java.util.logging.Logger.getLogger("").setLevel(threshold.jul());
        java.util.logging.Logger.getLogger("io.tinyfed").setLevel(threshold.jul());
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger("io.tinyfed").setLevel(Level.toLevel(threshold.name()));
        }
    }
}
