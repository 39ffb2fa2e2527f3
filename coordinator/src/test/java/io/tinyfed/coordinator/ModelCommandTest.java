package io.tinyfed.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.coordinator.api.HttpApi;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.ModelCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tinyfed model list|pull} against a running coordinator's HTTP API. */
class ModelCommandTest {
    @TempDir
    static Path dir;
    private static Coordinator coordinator;
    private static HttpApi api;
    private static final Model INITIAL = Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1);

    @BeforeAll
    static void start() throws Exception {
        coordinator = Coordinator.builder().fleet("models").store(dir.resolve("store")).initialModel(INITIAL)
                .rounds(new RoundEngine.Settings("sine", 4, 0.02f, 4, Duration.ofSeconds(1), 1.0, 1, 100, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(1))).start();
        api = HttpApi.start(coordinator, "127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run model(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cli = ModelCommand.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void pull_writesTheVerifiedVersionAsAModelFile_andListShowsIt() throws Exception {
        Path file = dir.resolve("sine.tfm");

        Run pulled = model("pull", "--api", api.url(), "--store", dir.resolve("store").toString(), "--out", file.toString());
        Run listed = model("list", "--api", api.url());

        assertThat(pulled.exit()).as(pulled.err()).isZero();
        assertThat(pulled.out()).contains("sine version 1").contains("verified");
        Model model = ModelCodec.decode(Files.readAllBytes(file));
        assertThat(model.f32Parameters()).containsExactly(INITIAL.f32Parameters());
        assertThat(listed.exit()).isZero();
        assertThat(listed.out().lines().skip(1).findFirst().orElseThrow()).contains("1").contains("initial");
    }

    @Test
    void aSnapshotSignedByAnotherKey_unknownVersionsAndModels_areOneLineErrorsThatWriteNothing() throws Exception {
        // The coordinator's key id with another key: the snapshot's signature cannot verify.
        String keyId = io.tinyfed.protocol.TrustedKeys.read(dir.resolve("store/keys/trust.keys")).keySet().iterator().next();
        java.security.KeyPair forger = io.tinyfed.protocol.SnapshotSigner.generateKeyPair();
        Path foreignTrust = dir.resolve("foreign.keys");
        io.tinyfed.protocol.TrustedKeys.write(foreignTrust, keyId, forger.getPublic());
        Path file = dir.resolve("refused.tfm");

        Run forged = model("pull", "--api", api.url(), "--trust", foreignTrust.toString(), "--out", file.toString());
        Run missing = model("pull", "--api", api.url(), "--store", dir.resolve("store").toString(),
                "--model-version", "99", "--out", file.toString());
        Run unknown = model("list", "--api", api.url(), "--model-id", "nope");
        Run badVersion = model("pull", "--api", api.url(), "--model-version", "newest", "--out", file.toString());

        assertThat(forged.exit()).isEqualTo(1);
        assertThat(forged.err().lines().findFirst().orElseThrow()).contains("refused the snapshot").contains("nothing written");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("no version 99 of model sine");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(badVersion.exit()).isEqualTo(2);
        assertThat(badVersion.err()).contains("a version number or latest");
        assertThat(forged.err() + missing.err() + unknown.err() + badVersion.err()).doesNotContain("Exception");
        assertThat(file).doesNotExist();
    }
}
