package io.tinyfed.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.protocol.cli.LogOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The coordinator's one log: its own System.Logger events and the libraries' go through logback alike. */
class LoggingTest {
    @CommandLine.Command(name = "probe")
    static final class Probe implements Runnable {
        @CommandLine.Mixin
        LogOptions logging = new LogOptions();

        @Override
        public void run() {
        }
    }

    @Test
    void systemLoggerAndSlf4jEvents_becomeTheSameJsonLines_atTheChosenLevel() {
        Probe probe = new Probe();
        new CommandLine(probe).parseArgs("--log-level", "warn", "--log-format", "json");
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            Logging.configure();
            Logging.apply(probe.logging);
            System.getLogger("io.tinyfed.coordinator.Probe").log(System.Logger.Level.WARNING, "round {0} refused", 7);
            System.getLogger("io.tinyfed.coordinator.Probe").log(System.Logger.Level.INFO, "below the level");
            org.slf4j.LoggerFactory.getLogger("io.tinyfed.coordinator.Other").error("store locked");
        } finally {
            System.setErr(stderr);
            new CommandLine(probe).parseArgs();
            Logging.apply(probe.logging);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(out.lines()).hasSize(2).allMatch(l -> l.startsWith("{\"time\":\"") && l.endsWith("}"));
        assertThat(out).contains("\"level\":\"WARN\",\"logger\":\"io.tinyfed.coordinator.Probe\",\"message\":\"round 7 refused\"")
                .contains("\"level\":\"ERROR\",\"logger\":\"io.tinyfed.coordinator.Other\",\"message\":\"store locked\"")
                .doesNotContain("below the level");
    }
}
