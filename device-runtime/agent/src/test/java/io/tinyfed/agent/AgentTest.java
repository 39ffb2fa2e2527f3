package io.tinyfed.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.WireCodec;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AgentTest {
    private static final Architecture SINE = Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1);
    private final KeyPair keys = SnapshotSigner.generateKeyPair();
    private final SnapshotSigner signer = new SnapshotSigner("coord", keys.getPrivate());
    private final InMemoryBroker broker = new InMemoryBroker();
    private final Topics topics = Topics.of("fleet");
    private Agent agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
    }

    private Agent start(String profile, String deviceId) throws Exception {
        Agent.Settings settings = new Agent.Settings("fleet", deviceId, HardwareProfile.load(profile), 0.005f, 32,
                Duration.ofMillis(1), 1000, 7, "test");
        agent = new Agent(settings, broker.client(), DataSources.sine(2.0, 0.5, 3),
                new SnapshotVerifier(Map.of("coord", keys.getPublic())), Clock.systemUTC());
        agent.start();
        String state = topics.device(deviceId, Topics.DeviceTopic.STATE);
        await().atMost(Duration.ofSeconds(5)).until(() -> !broker.publishedOn(state).isEmpty());
        return agent;
    }

    private void publishModel(long version) {
        ModelSnapshot s = signer.sign("sine", version, Model.initialize(SINE, 1), Instant.now());
        broker.publish(topics.model("sine"), WireCodec.encode(s), true);
    }

    private void publishTask(String deviceId, int round, long version, Duration deadline) {
        TrainTask t = new TrainTask(round, "sine", version, 16, 0.02f, 8, Instant.now().plus(deadline));
        broker.publish(topics.device(deviceId, Topics.DeviceTopic.TASK), WireCodec.encode(t, deviceId, signer), false);
    }

    @Test
    void announcesHelloFromItsProfileAndOnlineState() throws Exception {
        start("cortex-m4", "dev-1");
        await().atMost(Duration.ofSeconds(5)).until(() -> !broker.publishedOn(topics.device("dev-1",
                Topics.DeviceTopic.STATE)).isEmpty());
        DeviceHello hello = WireCodec.decodeHello(broker.publishedOn(topics.device("dev-1", Topics.DeviceTopic.HELLO))
                .get(0).payload());
        assertThat(hello.ramBytes()).isEqualTo(262_144);
        assertThat(hello.formats()).containsExactly(NumberFormat.S16);
        assertThat(WireCodec.decodeState(broker.publishedOn(topics.device("dev-1", Topics.DeviceTopic.STATE)).get(0)
                .payload()).online()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cortex-m4", "gateway"})
    void answersATaskWithAnAdaptedDeltaInItsOwnFormat(String profile) throws Exception {
        start(profile, "dev-1");
        publishModel(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().modelVersion() == 1
                && agent.stats().samplesSeen() > 40);
        publishTask("dev-1", 1, 1, Duration.ofSeconds(10));
        String updateTopic = topics.device("dev-1", Topics.DeviceTopic.UPDATE);
        await().atMost(Duration.ofSeconds(10)).until(() -> !broker.publishedOn(updateTopic).isEmpty());
        ModelUpdate u = WireCodec.decodeUpdate(broker.publishedOn(updateTopic).get(0).payload());
        assertThat(u.round()).isEqualTo(1);
        assertThat(u.baseVersion()).isEqualTo(1);
        assertThat(u.delta()).hasSize(SINE.parameterCount());
        assertThat(u.sampleCount()).isEqualTo(32);
        assertThat(u.lossAfter()).isLessThan(u.lossBefore());
        double norm = 0;
        for (float d : u.delta()) {
            norm += d * d;
        }
        assertThat(norm).isPositive();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cortex-m4", "gateway"})
    void withPersonalLayers_refitsTheHeadAndLeavesItOutOfTheUpdate(String profile) throws Exception {
        start(profile, "dev-1");
        publishModel(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().modelVersion() == 1
                && agent.stats().samplesSeen() > 40);
        TrainTask t = new TrainTask(1, "sine", 1, 16, 0.02f, 8, Instant.now().plusSeconds(10), 0, 1);
        broker.publish(topics.device("dev-1", Topics.DeviceTopic.TASK), WireCodec.encode(t, "dev-1", signer), false);
        String updateTopic = topics.device("dev-1", Topics.DeviceTopic.UPDATE);
        await().atMost(Duration.ofSeconds(10)).until(() -> !broker.publishedOn(updateTopic).isEmpty());

        float[] delta = WireCodec.decodeUpdate(broker.publishedOn(updateTopic).get(0).payload()).delta();
        int head = SINE.personalStart(1);
        for (int i = head; i < delta.length; i++) {
            assertThat(delta[i]).as("head value %d", i).isZero();
        }
        double shared = 0;
        for (int i = 0; i < head; i++) {
            shared += delta[i] * delta[i];
        }
        assertThat(shared).as("the shared part adapted").isPositive();
    }

    @Test
    void waitsForTheModelVersionATaskNeeds() throws Exception {
        start("gateway", "dev-1");
        publishModel(1);
        publishTask("dev-1", 2, 2, Duration.ofSeconds(10));
        Thread.yield();
        assertThat(broker.publishedOn(topics.device("dev-1", Topics.DeviceTopic.UPDATE))).isEmpty();
        publishModel(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> agent.stats().updatesPublished() == 1);
    }

    /**
     * Publishes the next version of the sine model as the coordinator does: {@code from} plus the top 10% of a random
     * change, first as a delta, then whole (retained).
     */
    private ModelSnapshot nextVersion(ModelSnapshot from, long seed) {
        float[] change = new float[from.model().parameterCount()];
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = 0; i < change.length; i++) {
            change[i] = (float) (r.nextGaussian() * 0.01);
        }
        io.tinyfed.core.SparseDelta sent = new io.tinyfed.core.DeltaCompressor(change.length, NumberFormat.F32, false)
                .compress(change, 0.1);
        float[] theta = from.model().toRealVector();
        sent.addTo(theta);
        ModelSnapshot to = signer.sign("sine", from.version() + 1, from.model().withRealParameters(theta), Instant.now());
        broker.publish(topics.modelDelta("sine"), WireCodec.encode(io.tinyfed.protocol.SnapshotDelta.between(from, to,
                sent)), false);
        broker.publish(topics.model("sine"), WireCodec.encode(to), true);
        return to;
    }

    @Test
    void rebuildsVersionsFromDeltas_leavesFullSnapshots_andFetchesOneAfterAGap() throws Exception {
        start("gateway", "dev-1");
        ModelSnapshot v1 = signer.sign("sine", 1, Model.initialize(SINE, 1), Instant.now());
        broker.publish(topics.model("sine"), WireCodec.encode(v1), true);
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().modelVersion() == 1);

        nextVersion(v1, 2);
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().modelVersion() == 2);
        assertThat(agent.stats().deltasApplied()).isEqualTo(1);

        // v3 goes out while the agent misses its delta: it holds v2 when v3 -> v4 arrives, and fetches v4 whole.
        ModelSnapshot v3 = signer.sign("sine", 3, Model.initialize(SINE, 3), Instant.now());
        broker.publish(topics.model("sine"), WireCodec.encode(v3), true);
        assertThat(agent.stats().modelVersion()).as("full snapshots no longer subscribed").isEqualTo(2);
        nextVersion(v3, 4);
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().modelVersion() == 4);
        assertThat(agent.stats().deltasApplied()).isEqualTo(1);

        // A delta that does not rebuild a signed version is refused and counted; the next one applies.
        ModelSnapshot v4 = signer.sign("sine", 4, Model.initialize(SINE, 3), Instant.now());
        io.tinyfed.core.SparseDelta bogus = new io.tinyfed.core.DeltaCompressor(v4.model().parameterCount(),
                NumberFormat.F32, false).compress(new float[v4.model().parameterCount()], 0.1);
        broker.publish(topics.modelDelta("sine"), WireCodec.encode(new io.tinyfed.protocol.SnapshotDelta("sine", 4, 5,
                bogus, "coord", new byte[64], Instant.now())), false);
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().messagesRejected()
                .getOrDefault(RejectReason.BAD_SIGNATURE, 0L) == 1);
        assertThat(agent.stats().modelVersion()).isEqualTo(4);
    }

    @Test
    void dropsATaskWhoseDeadlinePassesWithoutItsModel() throws Exception {
        start("gateway", "dev-1");
        publishTask("dev-1", 1, 5, Duration.ofMillis(200));
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().tasksDropped() == 1);
        assertThat(agent.stats().updatesPublished()).isZero();
    }

    @Test
    void refusesUnsignedMalformedAndForeignMessagesAndKeepsRunning() throws Exception {
        start("gateway", "dev-1");
        ModelSnapshot forged = new SnapshotSigner("coord", SnapshotSigner.generateKeyPair().getPrivate())
                .sign("sine", 9, Model.initialize(SINE, 2), Instant.now());
        broker.publish(topics.model("sine"), WireCodec.encode(forged), true);
        broker.publish(topics.device("dev-1", Topics.DeviceTopic.TASK), new byte[] {(byte) 0xFF, 1, 2}, false);
        ModelSnapshot otherId = signer.sign("other", 1, Model.initialize(SINE, 2), Instant.now());
        broker.publish(topics.model("sine"), WireCodec.encode(otherId), true);
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().messagesRejected().size() == 3);
        assertThat(agent.stats().messagesRejected()).containsEntry(RejectReason.BAD_SIGNATURE, 1L)
                .containsEntry(RejectReason.MALFORMED, 1L).containsEntry(RejectReason.IDENTITY_MISMATCH, 1L);
        assertThat(agent.stats().modelVersion()).isEqualTo(-1);
        publishModel(1);
        publishTask("dev-1", 1, 1, Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10)).until(() -> agent.stats().updatesPublished() == 1);
    }

    @Test
    void anUnsignedTaskAndASignedTaskBeyondTheDevicesBounds_areRefusedAndNeverRun() throws Exception {
        start("gateway", "dev-1");
        publishModel(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().modelVersion() == 1);
        // what an anonymous client on an open broker sent: a task without a signature, 100,000 inner steps
        byte[] unsigned = io.tinyfed.protocol.internal.wire.Wire.TrainTask.newBuilder().setRound(1).setModelId("sine")
                .setModelVersion(1).setInnerSteps(100_000).setLearningRate(0.02f).setBatchSize(8)
                .setDeadlineMs(Instant.now().plusSeconds(10).toEpochMilli()).setDeviceId("dev-1").build().toByteArray();
        broker.publish(topics.device("dev-1", Topics.DeviceTopic.TASK), unsigned, false);
        TrainTask huge = new TrainTask(2, "sine", 1, 100_000, 0.02f, 8, Instant.now().plusSeconds(10));
        broker.publish(topics.device("dev-1", Topics.DeviceTopic.TASK), WireCodec.encode(huge, "dev-1", signer), false);
        TrainTask forOther = new TrainTask(3, "sine", 1, 16, 0.02f, 8, Instant.now().plusSeconds(10));
        broker.publish(topics.device("dev-1", Topics.DeviceTopic.TASK), WireCodec.encode(forOther, "dev-2", signer), false);
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().messagesRejected().values().stream()
                .mapToLong(Long::longValue).sum() == 3);
        assertThat(agent.stats().messagesRejected()).containsEntry(RejectReason.BAD_SIGNATURE, 1L)
                .containsEntry(RejectReason.INVALID_FIELD, 1L).containsEntry(RejectReason.IDENTITY_MISMATCH, 1L);
        assertThat(agent.stats().updatesPublished()).isZero();
        publishTask("dev-1", 4, 1, Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10)).until(() -> agent.stats().updatesPublished() == 1);
    }

    @Test
    void lastWillMarksTheDeviceOffline() throws Exception {
        Agent.Settings settings = new Agent.Settings("fleet", "dev-9", HardwareProfile.load("cortex-m0"), 0.005f, 8,
                Duration.ofMillis(5), 1000, 1, "test");
        InMemoryBroker.Client client = broker.client();
        agent = new Agent(settings, client, DataSources.sine(1, 0, 1),
                new SnapshotVerifier(Map.of("coord", keys.getPublic())), Clock.systemUTC());
        agent.start();
        String state = topics.device("dev-9", Topics.DeviceTopic.STATE);
        await().atMost(Duration.ofSeconds(5)).until(() -> !broker.publishedOn(state).isEmpty());
        client.crash();
        List<InMemoryBroker.Published> states = broker.publishedOn(state);
        assertThat(WireCodec.decodeState(states.get(states.size() - 1).payload()).online()).isFalse();
    }
}
