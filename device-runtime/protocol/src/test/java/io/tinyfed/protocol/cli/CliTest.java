package io.tinyfed.protocol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {
    @CommandLine.Command(name = "read")
    static final class Read implements Callable<Integer> {
        @CommandLine.Parameters
        Path file;

        @Override
        public Integer call() throws Exception {
            Files.readAllBytes(file);
            return 0;
        }
    }

    private static String failure(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = Cli.withErrorHandling(new CommandLine(new Read()));
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute(args)).isEqualTo(1);
        return err.toString().strip();
    }

    @Test
    void aFileThatIsMissingOrUnreadable_isOneLineNamingItAndWhy(@TempDir Path dir) throws Exception {
        Path locked = Files.writeString(dir.resolve("locked"), "x");
        locked.toFile().setReadable(false);

        assertThat(failure(dir.resolve("none").toString())).isEqualTo("tinyfed read: " + dir.resolve("none") + ": no such file");
        if (!Files.isReadable(locked)) { // root reads everything
            assertThat(failure(locked.toString())).isEqualTo("tinyfed read: " + locked + ": permission denied");
        }
    }
}
