package io.tinyfed.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run's intent survives the process: a restarted coordinator resumes the rounds left; a stopped run stays stopped. */
class RunResumeTest {
    private static Coordinator start(Path store) throws Exception {
        return Coordinator.builder().fleet("resume").store(store)
                .initialModel(Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1))
                .rounds(new RoundEngine.Settings("sine", 4, 0.02f, 4, Duration.ofSeconds(1), 1.0, 1, 100, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(1))).brokerPort(0).withoutRegistry().start();
    }

    @Test
    void anUnfinishedRun_isResumedAfterARestart_andAStoppedOneIsNot(@TempDir Path dir) throws Exception {
        try (Coordinator c = start(dir)) {
            assertThat(c.running()).isFalse();
            c.startRun(7); // no devices: no round closes
        }
        assertThat(Files.readString(dir.resolve("run.properties"))).contains("rounds.left=7");

        try (Coordinator c = start(dir)) {
            assertThat(c.running()).as("resumed").isTrue();
            assertThat(c.roundsWanted()).isEqualTo(7);
            c.stopRun();
        }
        assertThat(dir.resolve("run.properties")).doesNotExist();

        try (Coordinator c = start(dir)) {
            assertThat(c.running()).isFalse();
        }
        Files.writeString(dir.resolve("run.properties"), "rounds.left=many\n");
        try (Coordinator c = start(dir)) {
            assertThat(c.running()).as("an unreadable file resumes nothing").isFalse();
        }
    }
}
