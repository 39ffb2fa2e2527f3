package io.tinyfed.firmware;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.ModelCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A user's mistakes on {@code tinyfed firmware} get one line that says what to do, and nothing is built. */
class FirmwareCommandTest {
    private static int run(StringWriter err, String... args) {
        CommandLine cli = io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new FirmwareCommand()));
        cli.setErr(new PrintWriter(err));
        for (CommandLine sub : cli.getSubcommands().values()) {
            sub.setErr(new PrintWriter(err));
        }
        return cli.execute(args);
    }

    @Test
    void badModelsIdsAndRanges_areOneLineUsageErrors(@TempDir Path dir) throws Exception {
        Path f32 = Files.write(dir.resolve("f32.tfm"), ModelCodec.encode(Model.initialize(
                Architecture.mlp(Layer.Kind.TANH, 1, 8, 1), 1)));
        Path garbage = Files.write(dir.resolve("garbage.tfm"), new byte[] {1, 2, 3});
        Path out = dir.resolve("out");
        String[][] cases = {
            {"--model", dir.resolve("missing.tfm").toString()},
            {"--model", garbage.toString()},
            {"--model", f32.toString(), "--calibration-range", "5:-5"},
            {"--model", f32.toString(), "--id", "no spaces allowed"},
            {"--model", f32.toString(), "--lr", "-1"},
        };
        String[] expected = {
            "tinyfed firmware build: --model " + dir.resolve("missing.tfm") + ": no such file",
            "tinyfed firmware build: --model " + garbage + ": ",
            "tinyfed firmware build: --calibration-range 5:-5: expected LO:HI, two numbers with LO < HI",
            "tinyfed firmware build: device id 'no spaces allowed': 1-64 letters, digits, '.', '_' or '-'",
            "tinyfed firmware build: --lr -1.0: a learning rate in (0, 10)",
        };
        for (int i = 0; i < cases.length; i++) {
            StringWriter err = new StringWriter();
            String[] args = new String[cases[i].length + 3];
            args[0] = "build";
            System.arraycopy(cases[i], 0, args, 1, cases[i].length);
            args[args.length - 2] = "--out";
            args[args.length - 1] = out.toString();

            int exit = run(err, args);

            assertThat(exit).as(String.join(" ", cases[i])).isEqualTo(2);
            assertThat(err.toString().lines().findFirst().orElseThrow()).as(String.join(" ", cases[i]))
                    .startsWith(expected[i]);
        }
        assertThat(out).doesNotExist();
    }
}
