package io.tinyfed.protocol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LogOptionsTest {
    @CommandLine.Command(name = "probe")
    static final class Probe implements Runnable {
        @CommandLine.Mixin
        LogOptions logging = new LogOptions();

        @Override
        public void run() {
        }
    }

    private static LogOptions parse(String... args) {
        Probe probe = new Probe();
        new CommandLine(probe).parseArgs(args);
        return probe.logging;
    }

    @Test
    void levelQuietAndFormat_areParsedInAnyCase_andAWrongValueNamesTheChoices() {
        assertThat(parse().threshold()).isEqualTo(LogOptions.Threshold.INFO);
        assertThat(parse("--quiet").threshold()).isEqualTo(LogOptions.Threshold.WARN);
        assertThat(parse("--log-level", "debug").threshold()).isEqualTo(LogOptions.Threshold.DEBUG);
        assertThat(parse("--log-format", "JSON").format()).isEqualTo(LogOptions.Format.JSON);

        StringWriter err = new StringWriter();
        CommandLine cli = Cli.withErrorHandling(new CommandLine(new Probe()));
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("--log-level", "loud")).isEqualTo(2);
        assertThat(err.toString().lines().findFirst().orElseThrow()).contains("--log-level")
                .contains("'loud' is not one of error, warn, info, debug").doesNotContain("Exception");
    }

    @Test
    void oneEventIsOneLine_textOrJsonWithEveryCharacterEscaped() {
        Instant t = Instant.parse("2026-12-02T08:57:40.123Z");
        String json = LogOptions.line(LogOptions.Format.JSON, t, "WARN", "io.tinyfed.agent.Agent",
                "say \"hi\"\\\nnext\u0001", new java.io.IOException("broken pipe"));
        String text = LogOptions.line(LogOptions.Format.TEXT, t, "INFO", "io.tinyfed.agent.Agent", "started", null);

        assertThat(json).isEqualTo("{\"time\":\"2026-12-02T08:57:40.123Z\",\"level\":\"WARN\",\"logger\":"
                + "\"io.tinyfed.agent.Agent\",\"message\":\"say \\\"hi\\\"\\\\\\nnext\\u0001\",\"error\":"
                + "\"IOException: broken pipe\"}\n");
        assertThat(text).endsWith(" INFO  Agent - started\n").matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*\\n");
        assertThat(LogOptions.levelName(Level.SEVERE)).isEqualTo("ERROR");
        assertThat(LogOptions.levelName(Level.FINE)).isEqualTo("DEBUG");
    }

    @Test
    void appliedToJavaLogging_aSystemLoggerEventIsOneJsonLineOnStandardError_andTheLevelFilters() {
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        java.util.logging.Handler[] before = root.getHandlers();
        Level levelBefore = root.getLevel();
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            parse("--quiet", "--log-format", "json").applyToJavaLogging();
            System.Logger log = System.getLogger("io.tinyfed.test.Probe");
            log.log(System.Logger.Level.INFO, "not shown");
            log.log(System.Logger.Level.WARNING, "device {0} refused", "dev-1");
        } finally {
            for (java.util.logging.Handler h : root.getHandlers()) {
                root.removeHandler(h);
            }
            for (java.util.logging.Handler h : before) {
                root.addHandler(h);
            }
            root.setLevel(levelBefore);
            System.setErr(stderr);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(out.lines()).hasSize(1);
        assertThat(out).contains("\"level\":\"WARN\"").contains("\"logger\":\"io.tinyfed.test.Probe\"")
                .contains("\"message\":\"device dev-1 refused\"");
    }
}
