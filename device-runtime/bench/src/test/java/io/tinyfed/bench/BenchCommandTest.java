package io.tinyfed.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCommandTest {
    @Test
    void help_listsEveryBenchmarkTheLauncherRuns() throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new BenchCommand());
        cli.setOut(new PrintWriter(out));

        assertThat(cli.execute("--help")).isZero();

        // every `tinyfed bench NAME` the launchers' command table runs, and the runtime benchmark here
        java.util.List<String> names = java.nio.file.Files.readAllLines(java.nio.file.Path.of("../../launcher/commands"))
                .stream().filter(l -> l.startsWith("bench:")).map(l -> l.substring(6, l.indexOf(' '))).toList();
        assertThat(names).isNotEmpty();
        assertThat(out.toString()).contains("  runtime ");
        for (String name : names) {
            assertThat(out.toString()).contains("  " + name + " ");
        }
    }
}
