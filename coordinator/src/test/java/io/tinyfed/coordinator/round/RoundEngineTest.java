package io.tinyfed.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.coordinator.store.ModelStore;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.Reptile;
import io.tinyfed.core.Sample;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.Reject;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.TrainTask;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundEngineTest {
    private static final Architecture SINE = Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1);
    private final KeyPair keys = SnapshotSigner.generateKeyPair();
    private final SnapshotSigner signer = new SnapshotSigner("coord", keys.getPrivate());
    private final Recorder gateway = new Recorder();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-28T10:00:00Z"));

    /** Records what the engine sends. */
    static final class Recorder implements FleetGateway {
        final List<ModelSnapshot> snapshots = new CopyOnWriteArrayList<>();
        final List<Map.Entry<String, TrainTask>> tasks = new CopyOnWriteArrayList<>();
        final List<Reject> rejects = new CopyOnWriteArrayList<>();
        final List<io.tinyfed.protocol.SnapshotDelta> deltas = new CopyOnWriteArrayList<>();

        @Override
        public void publishSnapshot(ModelSnapshot s) {
            snapshots.add(s);
        }

        @Override
        public void publishDelta(io.tinyfed.protocol.SnapshotDelta d) {
            deltas.add(d);
        }

        @Override
        public void sendTask(String deviceId, TrainTask t) {
            tasks.add(Map.entry(deviceId, t));
        }

        @Override
        public void sendReject(String deviceId, Reject r) {
            rejects.add(r);
        }
    }

    private static RoundEngine.Settings settings(int minReplies) {
        return new RoundEngine.Settings("sine", 32, 0.02f, 10, Duration.ofSeconds(30), 1.0, minReplies, 100.0, 7);
    }

    private RoundEngine engine(Path dir, ReptileStrategy strategy, int minReplies) throws Exception {
        return new RoundEngine(settings(minReplies), strategy, new ModelStore(dir), signer, gateway, clock,
                Model.initialize(SINE, 1));
    }

    private static DeviceHello hello(String id, long ram, NumberFormat... formats) {
        return new DeviceHello(id, "fleet", ram, 0, "m4", 80, EnumSet.copyOf(List.of(formats)), List.of(), "t", "", null);
    }

    /** A simulated device: its own sine task, adapting like the agent does. */
    static ModelUpdate adapt(String id, TrainTask t, Model theta, int deviceIndex) {
        SplittableRandom r = new SplittableRandom(1000 + deviceIndex * 7919L + t.round() * 31L);
        double amplitude = 0.1 + r.nextDouble() * 4.9;
        double phase = r.nextDouble() * Math.PI;
        List<Sample> shots = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            float x = (float) (r.nextDouble() * 10 - 5);
            shots.add(new Sample(new float[] {x}, new float[] {(float) (amplitude * Math.sin(x + phase))}));
        }
        Network scratch = Network.prepare(theta, TrainingConfig.builder().learningRate(t.learningRate())
                .accumulationSteps(t.batchSize()).build());
        Model phi = Reptile.adapt(scratch, theta, shots, t.innerSteps(), t.learningRate());
        return new ModelUpdate(t.round(), id, t.modelId(), t.modelVersion(), Reptile.delta(phi, theta), 10, 1f, 0.5f);
    }

    static double adaptedMse(Model init, int tasks) {
        SplittableRandom r = new SplittableRandom(99);
        Network net = Network.prepare(init, TrainingConfig.builder().learningRate(0.02f).accumulationSteps(10).build());
        double total = 0;
        float[] out = new float[1];
        for (int k = 0; k < tasks; k++) {
            double a = 0.1 + r.nextDouble() * 4.9;
            double p = r.nextDouble() * Math.PI;
            List<Sample> shots = new ArrayList<>();
            for (int i = 0; i < 110; i++) {
                float x = (float) (r.nextDouble() * 10 - 5);
                shots.add(new Sample(new float[] {x}, new float[] {(float) (a * Math.sin(x + p))}));
            }
            Reptile.adapt(net, init, shots.subList(0, 10), 32, 0.02f);
            for (Sample s : shots.subList(10, 110)) {
                net.infer(s.x(), out);
                total += (out[0] - s.y()[0]) * (out[0] - s.y()[0]) / 100.0 / tasks;
            }
        }
        return total;
    }

    @Test
    void federatedReptileRounds_learnAnInitThatAdaptsBetterThanRandom(@TempDir Path dir) throws Exception {
        int rounds = 300;
        RoundEngine engine = engine(dir, new ReptileStrategy(1.0, true, rounds, Selection.count(5)), 5);
        for (int d = 0; d < 12; d++) {
            engine.deviceHello(hello("dev-" + d, 262_144, NumberFormat.F32));
        }
        for (int i = 0; i < rounds; i++) {
            int round = engine.startRound().orElseThrow();
            Model theta = engine.currentModel();
            for (Map.Entry<String, TrainTask> e : List.copyOf(gateway.tasks)) {
                if (e.getValue().round() == round) {
                    engine.onUpdate(e.getKey(), adapt(e.getKey(), e.getValue(), theta,
                            Integer.parseInt(e.getKey().substring(4))));
                }
            }
            assertThat(engine.roundOpen()).as("round %d closes when all replied", round).isFalse();
        }
        assertThat(engine.currentVersion().version()).isEqualTo(rounds + 1);
        double meta = adaptedMse(engine.currentModel(), 40);
        double random = adaptedMse(Model.initialize(SINE, 1), 40);
        assertThat(meta).as("meta %.3f vs random init %.3f", meta, random).isLessThan(random / 3);
    }

    @Test
    void badUpdatesAreRefusedCountedAndChangeNothing(@TempDir Path dir) throws Exception {
        RoundEngine engine = engine(dir, new ReptileStrategy(1, false, 10, Selection.count(2)), 2);
        engine.deviceHello(hello("a", 262_144, NumberFormat.S16));
        engine.deviceHello(hello("b", 262_144, NumberFormat.F32));
        engine.deviceHello(hello("tiny", 1024, NumberFormat.S16));
        assertThat(engine.eligible()).containsExactly("a", "b");
        int round = engine.startRound().orElseThrow();
        Model before = engine.currentModel();
        TrainTask task = gateway.tasks.get(0).getValue();
        ModelUpdate good = adapt("a", task, before, 0);
        engine.onUpdate("b", good);                                                  // a's update on b's topic
        engine.onUpdate("a", new ModelUpdate(round + 1, "a", "sine", task.modelVersion(), good.delta(), 10, 1, 1));
        engine.onUpdate("a", new ModelUpdate(round, "a", "sine", task.modelVersion(), new float[3], 10, 1, 1));
        float[] nan = good.delta();
        nan[7] = Float.NaN;
        engine.onUpdate("a", new ModelUpdate(round, "a", "sine", task.modelVersion(), nan, 10, 1, 1));
        engine.onUndecodable("a", RejectReason.MALFORMED, "garbage");
        assertThat(engine.currentModel()).isEqualTo(before);
        engine.onUpdate("a", good);
        engine.onUpdate("a", good);                                                  // replay
        assertThat(engine.rejectedTotals()).containsEntry(RejectReason.IDENTITY_MISMATCH, 1L)
                .containsEntry(RejectReason.WRONG_ROUND, 1L).containsEntry(RejectReason.WRONG_SHAPE, 1L)
                .containsEntry(RejectReason.NON_FINITE, 1L).containsEntry(RejectReason.MALFORMED, 1L)
                .containsEntry(RejectReason.DUPLICATE, 1L);
        assertThat(gateway.rejects).hasSize(6);
        assertThat(engine.roundOpen()).isTrue();
        engine.onUpdate("b", adapt("b", task, before, 1));
        assertThat(engine.roundOpen()).isFalse();
        assertThat(engine.history().get(0).accepted()).containsExactly("a", "b");
        engine.onUpdate("a", good);                                                  // after aggregation
        assertThat(engine.rejectedTotals()).containsEntry(RejectReason.LATE, 1L);
        assertThat(engine.currentVersion().version()).isEqualTo(2);
    }

    @Test
    void uplinkPermille_goesIntoTheNextRoundsTasks_andOutOfRangeIsRefused(@TempDir Path dir) throws Exception {
        RoundEngine engine = engine(dir, new ReptileStrategy(1, false, 10, Selection.upTo(2)), 1);
        engine.deviceHello(hello("a", 262_144, NumberFormat.F32));
        engine.startRound().orElseThrow();
        engine.onUpdate("a", adapt("a", gateway.tasks.get(0).getValue(), engine.currentModel(), 0));

        engine.setUplinkPermille(50);
        engine.startRound().orElseThrow();

        assertThat(gateway.tasks).extracting(e -> e.getValue().uplinkPermille()).containsExactly(0, 50);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.setUplinkPermille(1001))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void downlinkPermille_eachNewVersionIsThePreviousPlusItsDelta_signedAsTheFullSnapshot(@TempDir Path dir)
            throws Exception {
        RoundEngine engine = engine(dir, new ReptileStrategy(1, false, 10, Selection.upTo(2)), 1);
        engine.setDownlinkPermille(100);
        SnapshotVerifier verifier = new SnapshotVerifier(Map.of("coord", keys.getPublic()));
        for (String id : List.of("a", "b")) {
            engine.deviceHello(hello(id, 262_144, NumberFormat.F32));
        }
        engine.publishCurrent();
        for (int r = 0; r < 5; r++) {
            int before = gateway.tasks.size();
            engine.startRound().orElseThrow();
            TrainTask t = gateway.tasks.get(before).getValue();
            engine.onUpdate("a", adapt("a", t, engine.currentModel(), 0));
            engine.onUpdate("b", adapt("b", t, engine.currentModel(), 1));
        }

        assertThat(gateway.deltas).hasSize(5);
        for (io.tinyfed.protocol.SnapshotDelta d : gateway.deltas) {
            ModelSnapshot base = gateway.snapshots.stream().filter(s -> s.version() == d.fromVersion()).findFirst()
                    .orElseThrow();
            ModelSnapshot published = gateway.snapshots.stream().filter(s -> s.version() == d.toVersion()).findFirst()
                    .orElseThrow();
            ModelSnapshot rebuilt = d.applyTo(base);
            verifier.verify(rebuilt);
            assertThat(rebuilt.model().toRealVector()).containsExactly(published.model().toRealVector());
            assertThat(d.delta().indices()).hasSize(176);
        }
        assertThat(engine.currentModel().toRealVector()).containsExactly(gateway.snapshots.get(gateway.snapshots.size() - 1)
                .model().toRealVector());
    }

    /** The published model of {@code version}. */
    private Model published(long version) {
        return gateway.snapshots.stream().filter(s -> s.version() == version).findFirst().orElseThrow().model();
    }

    private void answer(RoundEngine engine, Map.Entry<String, TrainTask> task, int index) {
        engine.onUpdate(task.getKey(), adapt(task.getKey(), task.getValue(), published(task.getValue().modelVersion()),
                index));
    }

    @Test
    void async_aVersionEveryKUpdates_freedSlotsRefilled_staleAndExpiredRefused(@TempDir Path dir) throws Exception {
        RoundEngine engine = engine(dir, new ReptileStrategy(1, false, 100, Selection.upTo(10)), 1);
        engine.setAsync(new RoundEngine.AsyncSettings(3, 2, 1));
        for (String id : List.of("a", "b", "c", "d", "e")) {
            engine.deviceHello(hello(id, 262_144, NumberFormat.F32));
        }
        engine.publishCurrent();

        engine.startRound().orElseThrow();
        assertThat(gateway.tasks).as("three devices train at once").hasSize(3);
        answer(engine, gateway.tasks.get(0), 0);
        assertThat(gateway.tasks).as("the freed slot goes to an idle device at once").hasSize(4);
        answer(engine, gateway.tasks.get(1), 1);
        assertThat(engine.currentVersion().version()).as("two updates make a version").isEqualTo(2);
        assertThat(engine.roundOpen()).isFalse();

        engine.startRound().orElseThrow(); // the next buffer: slots refilled with tasks on version 2
        assertThat(gateway.tasks).hasSize(5);
        assertThat(gateway.tasks.get(4).getValue().modelVersion()).isEqualTo(2);
        answer(engine, gateway.tasks.get(2), 2); // on version 1: one version stale, within the bound
        answer(engine, gateway.tasks.get(4), 4);
        assertThat(engine.currentVersion().version()).isEqualTo(3);
        assertThat(engine.history().get(1).accepted()).containsExactlyInAnyOrder(gateway.tasks.get(2).getKey(),
                gateway.tasks.get(4).getKey());

        engine.startRound().orElseThrow();
        answer(engine, gateway.tasks.get(3), 3); // on version 1, now two versions behind 3
        assertThat(engine.rejectedTotals()).containsEntry(RejectReason.STALE_BASE_VERSION, 1L);

        clock.advance(Duration.ofSeconds(31));
        engine.onTick();
        assertThat(engine.asyncLoad()[0]).as("expired tasks freed their slots, which went to others").isPositive();
        Map.Entry<String, TrainTask> expired = gateway.tasks.get(5);
        engine.onUpdate(expired.getKey(), adapt(expired.getKey(), expired.getValue(), engine.currentModel(), 5));
        assertThat(engine.rejectedTotals()).containsEntry(RejectReason.LATE, 1L);
    }

    @Test
    void async_cannotBeSwitchedOnWhileARoundIsOpen(@TempDir Path dir) throws Exception {
        RoundEngine engine = engine(dir, new ReptileStrategy(1, false, 10, Selection.upTo(2)), 1);
        engine.deviceHello(hello("a", 262_144, NumberFormat.F32));
        engine.startRound().orElseThrow();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.setAsync(new RoundEngine.AsyncSettings(2, 2, 1)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void personalLayers_goIntoTheTasks_andTheMetaModelsHeadNeverMoves(@TempDir Path dir) throws Exception {
        RoundEngine engine = engine(dir, new ReptileStrategy(1, false, 10, Selection.upTo(2)), 1);
        engine.setPersonalLayers(1);
        for (String id : List.of("a", "b")) {
            engine.deviceHello(hello(id, 262_144, NumberFormat.F32));
        }
        float[] before = engine.currentModel().toRealVector();
        for (int r = 0; r < 3; r++) {
            int first = gateway.tasks.size();
            engine.startRound().orElseThrow();
            // devices that ignore the request and send a whole delta: its personal part is dropped all the same
            engine.onUpdate("a", adapt("a", gateway.tasks.get(first).getValue(), engine.currentModel(), 0));
            engine.onUpdate("b", adapt("b", gateway.tasks.get(first).getValue(), engine.currentModel(), 1));
        }

        assertThat(gateway.tasks).allSatisfy(e -> assertThat(e.getValue().personalLayers()).isEqualTo(1));
        float[] after = engine.currentModel().toRealVector();
        int head = SINE.personalStart(1);
        assertThat(java.util.Arrays.copyOfRange(after, head, after.length))
                .containsExactly(java.util.Arrays.copyOfRange(before, head, before.length));
        assertThat(java.util.Arrays.equals(java.util.Arrays.copyOf(after, head), java.util.Arrays.copyOf(before, head)))
                .as("the shared part learned").isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.setPersonalLayers(3))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aStragglerSitsOutTheNextRounds_andAQuorumBelowOneClosesWithoutIt(@TempDir Path dir) throws Exception {
        RoundEngine engine = new RoundEngine(new RoundEngine.Settings("sine", 32, 0.02f, 10, Duration.ofSeconds(30), 0.6, 1,
                100.0, 7), new ReptileStrategy(1, false, 10, Selection.upTo(3)), new ModelStore(dir), signer, gateway, clock,
                Model.initialize(SINE, 1));
        engine.setStragglerRest(2);
        for (String id : List.of("a", "b", "quiet")) {
            engine.deviceHello(hello(id, 262_144, NumberFormat.F32));
        }
        engine.startRound().orElseThrow();
        TrainTask task = gateway.tasks.get(0).getValue();
        engine.onUpdate("a", adapt("a", task, engine.currentModel(), 0));
        assertThat(engine.roundOpen()).as("1 of 3 is below the quorum of 0.6").isTrue();
        engine.onUpdate("b", adapt("b", task, engine.currentModel(), 1));
        assertThat(engine.roundOpen()).as("2 of 3 meet it: no wait for the deadline").isFalse();
        assertThat(engine.history().get(0).stragglers()).containsExactly("quiet");

        for (int r = 2; r <= 3; r++) {
            int before = gateway.tasks.size();
            engine.startRound().orElseThrow();
            assertThat(gateway.tasks.subList(before, gateway.tasks.size())).extracting(Map.Entry::getKey)
                    .as("round %d", r).containsExactlyInAnyOrder("a", "b");
            TrainTask t = gateway.tasks.get(before).getValue();
            engine.onUpdate("a", adapt("a", t, engine.currentModel(), 0));
            engine.onUpdate("b", adapt("b", t, engine.currentModel(), 1));
        }
        int before = gateway.tasks.size();
        engine.startRound().orElseThrow();
        assertThat(gateway.tasks.subList(before, gateway.tasks.size())).extracting(Map.Entry::getKey)
                .as("after two rounds of rest it is asked again").containsExactlyInAnyOrder("a", "b", "quiet");
    }

    @Test
    void deadline_closesTheRoundWithWhatArrivedOrWithoutAVersion(@TempDir Path dir) throws Exception {
        RoundEngine engine = engine(dir, new ReptileStrategy(1, false, 10, Selection.count(3)), 2);
        for (String id : List.of("a", "b", "c")) {
            engine.deviceHello(hello(id, 262_144, NumberFormat.F32));
        }
        int round = engine.startRound().orElseThrow();
        TrainTask task = gateway.tasks.get(0).getValue();
        engine.onUpdate("a", adapt("a", task, engine.currentModel(), 0));
        engine.onUpdate("b", adapt("b", task, engine.currentModel(), 1));
        engine.onTick();
        assertThat(engine.roundOpen()).isTrue();
        clock.advance(Duration.ofSeconds(31));
        engine.onTick();
        RoundEngine.RoundSummary s = engine.history().get(0);
        assertThat(s.round()).isEqualTo(round);
        assertThat(s.stragglers()).containsExactly("c");
        assertThat(s.newVersion()).isEqualTo(2);

        engine.startRound().orElseThrow();
        engine.onUpdate("a", adapt("a", gateway.tasks.get(3).getValue(), engine.currentModel(), 0));
        clock.advance(Duration.ofSeconds(31));
        engine.onTick();
        assertThat(engine.history().get(1).outcome()).startsWith("no quorum");
        assertThat(engine.currentVersion().version()).isEqualTo(2);
    }

    @Test
    void restart_resumesFromTheStoredVersionAndNeverReusesARound(@TempDir Path dir) throws Exception {
        RoundEngine first = engine(dir, new ReptileStrategy(1, false, 10, Selection.count(2)), 2);
        for (String id : List.of("a", "b")) {
            first.deviceHello(hello(id, 262_144, NumberFormat.F32));
        }
        first.startRound().orElseThrow();
        TrainTask t1 = gateway.tasks.get(0).getValue();
        first.onUpdate("a", adapt("a", t1, first.currentModel(), 0));
        first.onUpdate("b", adapt("b", t1, first.currentModel(), 1));
        first.startRound().orElseThrow();                                            // round 2, then "kill -9"
        TrainTask t2 = gateway.tasks.get(2).getValue();
        ModelUpdate inFlight = adapt("a", t2, first.currentModel(), 0);
        Model stored = first.currentModel();

        RoundEngine second = engine(dir, new ReptileStrategy(1, false, 10, Selection.count(2)), 2);
        assertThat(second.currentModel()).isEqualTo(stored);
        assertThat(second.currentVersion().version()).isEqualTo(2);
        for (String id : List.of("a", "b")) {
            second.deviceHello(hello(id, 262_144, NumberFormat.F32));
        }
        assertThat(second.startRound()).contains(3);
        second.onUpdate("a", inFlight);                                              // pre-crash update for round 2
        assertThat(second.rejectedTotals()).containsEntry(RejectReason.LATE, 1L);
        new SnapshotVerifier(Map.of("coord", keys.getPublic())).verify(gateway.snapshots.isEmpty()
                ? new ModelStore(dir).snapshot(second.currentVersion()) : gateway.snapshots.get(0));
    }
}
