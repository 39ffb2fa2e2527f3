package io.tinyfed.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CoordinatorMainTest {
    @Test
    void anUnsetPasswordVariable_isAUsageErrorThatNamesTheFlag(@TempDir Path dir) {
        String unset = "TINYFED_TEST_UNSET_" + Long.toHexString(System.nanoTime());
        StringWriter err = new StringWriter();
        CommandLine cli = CoordinatorMain.commandLine();
        cli.setErr(new PrintWriter(err));

        int exit = cli.execute("--store", dir.resolve("store").toString(), "--broker", "tcp://127.0.0.1:1",
                "--broker-password-env", unset);

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).startsWith("--broker-password-env: environment variable " + unset + " is not set")
                .doesNotContain("Exception");
        assertThat(Files.exists(dir.resolve("store"))).as("nothing started").isFalse();
    }

    @Test
    void aFailureAtStart_isOneLineWithExitCodeOne(@TempDir Path dir) throws Exception {
        Path notAModel = Files.writeString(dir.resolve("model.tfm"), "not a model");
        StringWriter err = new StringWriter();
        CommandLine cli = CoordinatorMain.commandLine();
        cli.setErr(new PrintWriter(err));

        int exit = cli.execute("--store", dir.resolve("store").toString(), "--model-file", notAModel.toString());

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString().lines().toList()).singleElement().asString().startsWith("tinyfed coordinator: ");
    }
}
