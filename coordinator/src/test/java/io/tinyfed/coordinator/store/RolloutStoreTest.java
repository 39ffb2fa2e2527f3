package io.tinyfed.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.coordinator.rollout.Rollout;
import io.tinyfed.coordinator.rollout.RolloutPlan;
import io.tinyfed.protocol.DeploymentStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RolloutStoreTest {
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    @Test
    void save_thenLoad_givesTheSameStateWithUnmeasuredFiguresAndOpenWaves(@TempDir Path dir) throws Exception {
        Rollout r = Rollout.create("r1", "sine", 7, List.of("a", "b", "c", "d"), RolloutPlan.DEFAULT, 3, T0);
        String canary = r.start(T0).get(0).deviceId();
        r.onStatus(new DeploymentStatus(canary, "r1", 0, DeploymentStatus.State.SERVING, "sine", 7, 3, 7, "", 50, 0.4,
                0.5, true, io.tinyfed.core.NumberFormat.S16), T0.plusSeconds(3));
        RolloutStore store = new RolloutStore(dir);

        store.save(r.state());
        List<Rollout.State> loaded = new RolloutStore(dir).load();

        assertThat(loaded).containsExactly(r.state());
        assertThat(loaded.get(0).devices()).anySatisfy(d -> assertThat(d.candidateLoss()).isNaN());
    }

    @Test
    void load_ofADamagedFile_namesTheFile(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("rollouts"));
        Files.writeString(dir.resolve("rollouts/r1.json"), "{\"id\": \"r1\", \"waves\": [");

        assertThatThrownBy(() -> new RolloutStore(dir).load()).hasMessageContaining("r1.json cannot be read");
    }
}
