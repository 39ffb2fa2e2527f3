package io.tinyfed.simulators;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CompletionCommandTest {
    @Test
    void everyCommandOfTheLaunchersTable_isInTheCompletion() throws Exception {
        CommandLine tinyfed = CompletionCommand.tinyfed();

        for (String row : Files.readAllLines(Path.of("..", "launcher", "commands"))) {
            if (row.isBlank() || row.startsWith("#")) {
                continue;
            }
            String[] key = row.trim().split("\\s+")[0].split(":");
            CommandLine command = tinyfed.getSubcommands().get(key[0]);
            assertThat(command).as("tinyfed %s", key[0]).isNotNull();
            if (key.length == 2) {
                assertThat(command.getSubcommands()).as("tinyfed %s %s", key[0], key[1]).containsKey(key[1]);
            }
        }
    }

    /** What bash completes {@code words} to (the last word being completed) with the generated script. */
    private static List<String> complete(Path script, String... words) throws Exception {
        String line = String.join(" ", words);
        String program = "source " + script + "\n"
                + "COMP_WORDS=(" + line + "); COMP_CWORD=" + (words.length - 1) + "; COMP_LINE='" + line + "'; "
                + "COMP_POINT=${#COMP_LINE}\n"
                + "_complete_tinyfed tinyfed\n"
                + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        // stderr apart: outside a real completion, bash's compopt complains there, and that is not a result.
        Process bash = new ProcessBuilder("bash", "-c", program).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(bash.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(bash.exitValue()).as(out).isZero();
        return out.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void theScript_completesCommandsSubcommandsAndOptions_inBash(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new CompletionCommand());
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute()).isZero();
        Path script = Files.writeString(dir.resolve("tinyfed.bash"), out.toString());

        assertThat(complete(script, "tinyfed", "coo")).containsExactly("coordinator");
        assertThat(complete(script, "tinyfed", "bench", "")).contains("runtime", "coordinator", "registry", "firmware");
        assertThat(complete(script, "tinyfed", "coordinator", "--expire")).containsExactly("--expire-devices-after");
        assertThat(complete(script, "tinyfed", "registry", "re")).containsExactly("remove");
        assertThat(complete(script, "tinyfed", "export", "--model-v")).containsExactly("--model-version");
    }
}
