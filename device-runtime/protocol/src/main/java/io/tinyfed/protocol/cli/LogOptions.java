package io.tinyfed.protocol.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.StreamHandler;
import picocli.CommandLine.Option;

/**
 * The logging options every long-running TinyFed command shares ({@code --log-level}, {@code --quiet},
 * {@code --log-format}), and TinyFed's one log line: {@code 08:57:40.123 WARN  PahoTransport - message},
 * or one JSON object per line with the keys {@code time level logger message error}. Components log
 * through {@link System.Logger}, which is java.util.logging unless a command routes it elsewhere (the
 * coordinator sends it to logback, in the same format).
 */
public final class LogOptions {
    /** How much is logged. */
    public enum Threshold {
        ERROR(Level.SEVERE), WARN(Level.WARNING), INFO(Level.INFO), DEBUG(Level.FINE);

        private final Level jul;

        Threshold(Level jul) {
            this.jul = jul;
        }

        public Level jul() {
            return jul;
        }
    }

    /** Log lines as text or as JSON objects. */
    public enum Format { TEXT, JSON }

    @Option(names = "--log-level", paramLabel = "LEVEL", description = "Log events at this level and above: "
            + "${COMPLETION-CANDIDATES} (default: INFO).", converter = ThresholdConverter.class)
    Threshold level;

    @Option(names = "--quiet", description = "Log warnings and errors only (--log-level WARN).")
    boolean quiet;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text", description = "text (one line per "
            + "event) or json (one object per line: time, level, logger, message, error) (default: ${DEFAULT-VALUE}).",
            converter = FormatConverter.class)
    Format format = Format.TEXT;

    /** The threshold the options ask for: {@code --log-level}, else WARN with {@code --quiet}, else INFO. */
    public Threshold threshold() {
        return level != null ? level : quiet ? Threshold.WARN : Threshold.INFO;
    }

    public Format format() {
        return format;
    }

    /** Sends java.util.logging (and so {@link System.Logger}) to standard error in TinyFed's format. */
    public void applyToJavaLogging() {
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Handler stderr = new StreamHandler(System.err, new LineFormatter(format)) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush();
            }
        };
        stderr.setLevel(Level.ALL);
        root.addHandler(stderr);
        root.setLevel(threshold().jul());
    }

    /** TinyFed's level names for java.util.logging levels. */
    public static String levelName(Level level) {
        int v = level.intValue();
        return v >= Level.SEVERE.intValue() ? "ERROR" : v >= Level.WARNING.intValue() ? "WARN"
                : v >= Level.INFO.intValue() ? "INFO" : v >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
    }

    /** One log event as TinyFed writes it, text or JSON, ending in a newline. */
    public static String line(Format format, Instant time, String level, String logger, String message, Throwable error) {
        String why = error == null ? null : System.getenv("TINYFED_DEBUG") != null ? stackTrace(error)
                : error.getMessage() != null ? error.getClass().getSimpleName() + ": " + error.getMessage()
                : error.getClass().getSimpleName();
        if (format == Format.JSON) {
            StringBuilder b = new StringBuilder(128).append("{\"time\":\"").append(time).append("\",\"level\":\"")
                    .append(level).append("\",\"logger\":");
            quote(b, logger).append(",\"message\":");
            quote(b, message);
            if (why != null) {
                quote(b.append(",\"error\":"), why);
            }
            return b.append("}\n").toString();
        }
        String shortName = logger.substring(logger.lastIndexOf('.') + 1);
        return TIME.format(time) + " " + String.format(Locale.ROOT, "%-5s", level) + " " + shortName + " - " + message
                + (why == null ? "" : " (" + why + ")") + "\n";
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    private static StringBuilder quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
    }

    private static String stackTrace(Throwable error) {
        StringWriter out = new StringWriter();
        error.printStackTrace(new PrintWriter(out));
        return out.toString().strip();
    }

    /** java.util.logging records in TinyFed's line format. */
    static final class LineFormatter extends Formatter {
        private final Format format;

        LineFormatter(Format format) {
            this.format = format;
        }

        @Override
        public String format(LogRecord record) {
            String name = record.getLoggerName() != null ? record.getLoggerName() : "";
            return line(format, record.getInstant(), levelName(record.getLevel()), name, formatMessage(record),
                    record.getThrown());
        }
    }

    /** An enum value in any case; anything else names the choices. */
    static <E extends Enum<E>> E choice(Class<E> type, String value) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value)) {
                return e;
            }
        }
        throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not one of "
                + java.util.Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT))
                        .collect(java.util.stream.Collectors.joining(", ")));
    }

    static final class ThresholdConverter implements picocli.CommandLine.ITypeConverter<Threshold> {
        @Override
        public Threshold convert(String value) {
            return choice(Threshold.class, value);
        }
    }

    static final class FormatConverter implements picocli.CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            return choice(Format.class, value);
        }
    }
}
