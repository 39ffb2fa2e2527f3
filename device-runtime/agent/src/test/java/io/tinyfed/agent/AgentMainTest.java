package io.tinyfed.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentMainTest {
    private static String[] args(Path dir, String... more) throws Exception {
        Path trust = Files.writeString(dir.resolve("trust.keys"), "");
        String[] base = {"--broker", "tcp://127.0.0.1:1", "--fleet", "f", "--id", "dev-1", "--data", "sine:1,0",
                "--trust", trust.toString()};
        String[] out = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, out, base.length, more.length);
        return out;
    }

    private static String run(int expectedExit, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = AgentMain.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute(args)).isEqualTo(expectedExit);
        return err.toString();
    }

    @Test
    void passwordFile_thatIsMissingEmptyOrGivenWithAVariable_isAOneLineUsageError(@TempDir Path dir) throws Exception {
        String missing = run(2, args(dir, "--password-file", dir.resolve("nope").toString()));
        Path empty = Files.writeString(dir.resolve("empty"), "");
        String blank = run(2, args(dir, "--password-file", empty.toString()));
        Path secret = Files.writeString(dir.resolve("secret"), "s3cret\n");
        String both = run(2, args(dir, "--password-file", secret.toString(), "--password-env", "X"));

        assertThat(missing.lines().findFirst().orElseThrow()).contains("--password-file").contains("cannot read it (no such file)")
                .doesNotContain("Exception");
        assertThat(blank).contains("is empty: its first line is the password");
        assertThat(both).contains("give the broker password one way");
        assertThat(AgentMain.readPassword(AgentMain.commandLine().getCommandSpec(), secret)).containsExactly(
                's', '3', 'c', 'r', 'e', 't');
    }
}
