package io.tinyfed.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.coordinator.rollout.Rollout;
import io.tinyfed.coordinator.rollout.RolloutPlan;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.DeploymentStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RolloutStoreTest {
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    @Test
    void save_thenLoad_givesTheSameStateWithUnmeasuredFiguresAndOpenWaves(@TempDir Path dir) throws Exception {
        Rollout r = Rollout.create("r1", "sine", 7, List.of("a", "b", "c", "d"), RolloutPlan.DEFAULT, 3, T0);
        String canary = r.start(T0).get(0).deviceId();
        r.onStatus(serving(canary, "r1"), T0.plusSeconds(3));
        RolloutStore store = new RolloutStore(dir);

        store.save(null, r.state());
        List<Rollout.State> loaded = new RolloutStore(dir).load();

        assertThat(loaded).containsExactly(r.state());
        assertThat(loaded.get(0).devices()).anySatisfy(d -> assertThat(d.candidateLoss()).isNaN());
    }

    /**
     * A report to a 1,000-device rollout costs one short journal line, not a rewrite of the whole rollout (the
     * canary's report, which opens the next wave, writes that wave's devices).
     */
    @Test
    void reports_areJournalLinesOfWhatChanged_andLoadReplaysThem(@TempDir Path dir) throws Exception {
        Fleet f = new Fleet(dir, 1000, RolloutStore.MIN_COMPACT_LINES);
        long snapshotBytes = Files.size(f.snapshot());

        f.reportServing(200);

        List<String> lines = Files.readAllLines(f.journal());
        assertThat(lines).hasSize(200);
        assertThat(lines.subList(1, lines.size())).allSatisfy(l -> assertThat(l.length()).isLessThan(2_000));
        assertThat(snapshotBytes).isGreaterThan(100_000);
        assertThat(new RolloutStore(dir).load()).containsExactly(f.rollout.state());
    }

    @Test
    void aLongJournal_isFoldedIntoANewSnapshot_andAStaleJournalLeftByACrashIsSkipped(@TempDir Path dir) throws Exception {
        Fleet f = new Fleet(dir, 20, 5); // folded once the journal has 20 lines (the rollout's device count)
        f.reportServing(19);
        f.pause();
        Path stale = dir.resolve("stale.journal");
        Files.copy(f.journal(), stale);
        assertThat(Files.readAllLines(f.journal())).hasSize(20);

        f.resume();

        assertThat(f.journal()).doesNotExist();
        assertThat(new RolloutStore(dir).load()).containsExactly(f.rollout.state());
        // a crash after the new snapshot but before the old journal's removal: its lines name the old generation
        Files.move(stale, f.journal(), StandardCopyOption.REPLACE_EXISTING);
        assertThat(new RolloutStore(dir).load()).containsExactly(f.rollout.state());
    }

    @Test
    void aTornLastLine_isIgnored_aDamagedEarlierLineNamesTheFile(@TempDir Path dir) throws Exception {
        Fleet f = new Fleet(dir, 10, RolloutStore.MIN_COMPACT_LINES);
        f.reportServing(3);
        Rollout.State expected = f.rollout.state();
        Files.writeString(f.journal(), "{\"generation\":1,\"rest\":nu", StandardOpenOption.APPEND);

        assertThat(new RolloutStore(dir).load()).containsExactly(expected);

        List<String> lines = new ArrayList<>(Files.readAllLines(f.journal()));
        lines.set(0, "{broken");
        Files.write(f.journal(), lines, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> new RolloutStore(dir).load()).hasMessageContaining("r1.journal line 1 cannot be read");
    }

    @Test
    void load_ofADamagedFile_namesTheFile(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("rollouts"));
        Files.writeString(dir.resolve("rollouts/r1.json"), "{\"id\": \"r1\", \"waves\": [");

        assertThatThrownBy(() -> new RolloutStore(dir).load()).hasMessageContaining("r1.json cannot be read");
    }

    /** A rollout persisted through the store the way the coordinator does: the state before and after each report. */
    private static final class Fleet {
        final Rollout rollout;
        final RolloutStore store;
        final Path dir;
        Rollout.State saved;
        private final List<String> sent = new ArrayList<>();
        private int reported;

        Fleet(Path dir, int devices, int compactLines) {
            this.dir = dir;
            List<String> ids = new ArrayList<>();
            for (int d = 0; d < devices; d++) {
                ids.add(String.format("device-%04d", d));
            }
            rollout = Rollout.create("r1", "sine", 7, ids, new RolloutPlan(List.of(1.0 / devices, 1.0),
                    java.time.Duration.ofMinutes(10), 0.95, 1.05, 0, 0, 0f), 3, T0);
            store = new RolloutStore(dir, compactLines);
            rollout.start(T0).forEach(c -> sent.add(c.deviceId()));
            saved = rollout.state();
            store.save(null, saved);
        }

        void reportServing(int n) {
            for (int k = 0; k < n; k++) {
                String id = sent.get(reported++);
                rollout.onStatus(serving(id, "r1"), T0.plusSeconds(reported)).forEach(c -> sent.add(c.deviceId()));
                save();
            }
        }

        void pause() {
            rollout.pause(T0.plusSeconds(10_000));
            save();
        }

        void resume() {
            rollout.resume(T0.plusSeconds(10_001)).forEach(c -> sent.add(c.deviceId()));
            save();
        }

        private void save() {
            Rollout.State after = rollout.state();
            store.save(saved, after);
            saved = after;
        }

        Path snapshot() {
            return dir.resolve("rollouts/r1.json");
        }

        Path journal() {
            return dir.resolve("rollouts/r1.journal");
        }
    }

    private static DeploymentStatus serving(String device, String rollout) {
        return new DeploymentStatus(device, rollout, 0, DeploymentStatus.State.SERVING, "sine", 7, 3, 7, "", 0, Double.NaN,
                Double.NaN, false, NumberFormat.S16);
    }
}
