package io.tinyfed.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.protocol.Deploy;
import io.tinyfed.protocol.DeploymentStatus;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.protocol.internal.wire.Wire;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AgentDeploymentTest {
    private static final Architecture SINE = Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1);
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final KeyPair keys = SnapshotSigner.generateKeyPair();
    private final SnapshotSigner signer = new SnapshotSigner("coord", keys.getPrivate());
    private final InMemoryBroker broker = new InMemoryBroker();
    private final Topics topics = Topics.of("fleet");
    private Agent agent;
    private long issued = Instant.parse("2026-12-02T00:00:00Z").toEpochMilli();

    @TempDir
    Path state;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
    }

    private Agent start(String profile, Path stateDir) throws Exception {
        return start(profile, stateDir, DataSources.sine(2.0, 0.5, 3));
    }

    private Agent start(String profile, Path stateDir, DataSource data) throws Exception {
        Agent.Settings settings = new Agent.Settings("fleet", "dev-1", HardwareProfile.load(profile), 0.005f, 32,
                Duration.ofMillis(1), 1000, 7, "test", stateDir);
        agent = new Agent(settings, broker.client(), data, new SnapshotVerifier(Map.of("coord", keys.getPublic())),
                Clock.systemUTC());
        hellosBefore = broker.publishedOn(topics.device("dev-1", Topics.DeviceTopic.HELLO)).size();
        agent.start();
        return agent;
    }

    private ModelSnapshot snapshot(long version, Architecture arch) {
        return signer.sign("sine", version, Model.initialize(arch, version), Instant.now());
    }

    private void publishModel(long version) {
        broker.publish(topics.model("sine"), WireCodec.encode(snapshot(version, SINE)), true);
    }

    private int hellosBefore;

    /**
     * Sends {@code d} once the agent has announced itself (it subscribes before it says hello): deploys are not
     * retained, and a coordinator sends them to devices that are online.
     */
    private void deploy(Deploy d) {
        await().atMost(WAIT).until(() -> broker.publishedOn(topics.device("dev-1", Topics.DeviceTopic.HELLO)).size()
                > hellosBefore);
        broker.publish(topics.device("dev-1", Topics.DeviceTopic.DEPLOY), WireCodec.encode(d, "dev-1", signer), false);
    }

    private Deploy install(String rollout, ModelSnapshot s, int shadow, int personalise) {
        return new Deploy(rollout, 0, Deploy.Action.INSTALL, s, shadow, personalise, 0.01f, Instant.ofEpochMilli(++issued));
    }

    /** The status last published on the device's deployment topic. */
    private DeploymentStatus published() throws Exception {
        List<InMemoryBroker.Published> all = broker.publishedOn(topics.device("dev-1", Topics.DeviceTopic.DEPLOYMENT));
        return all.isEmpty() ? null : WireCodec.decodeDeploymentStatus(all.get(all.size() - 1).payload());
    }

    /** The first status of {@code rollout} in {@code state} the device published, once there is one. */
    private DeploymentStatus awaitState(String rollout, DeploymentStatus.State state) {
        return await().atMost(WAIT).until(() -> {
            for (InMemoryBroker.Published p : broker.publishedOn(topics.device("dev-1", Topics.DeviceTopic.DEPLOYMENT))) {
                DeploymentStatus s = WireCodec.decodeDeploymentStatus(p.payload());
                if (s.rolloutId().equals(rollout) && s.state() == state) {
                    return s;
                }
            }
            return null;
        }, java.util.Objects::nonNull);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cortex-m4", "gateway"})
    void install_servesTheVersionComparesItInShadowAndKeepsItWhenTheMetaModelMoves(String profile) throws Exception {
        start(profile, null);
        publishModel(1);
        await().atMost(WAIT).until(() -> agent.stats().modelVersion() == 1 && agent.stats().samplesSeen() > 40);

        deploy(install("r-1", snapshot(5, SINE), 30, 8));

        DeploymentStatus shadowing = awaitState("r-1", DeploymentStatus.State.SHADOWING);
        assertThat(shadowing.servingVersion()).isEqualTo(5);
        assertThat(shadowing.previousVersion()).isEqualTo(1);
        DeploymentStatus done = awaitState("r-1", DeploymentStatus.State.SERVING);
        assertThat(done.shadowSamples()).isEqualTo(30);
        assertThat(done.candidateLoss()).isFinite().isPositive();
        assertThat(done.previousLoss()).isFinite().isPositive();
        assertThat(done.personalised()).isTrue();
        assertThat(done.genericLoss()).as("the version as released, beside the personalised one").isFinite().isPositive();
        assertThat(done.targetVersion()).isEqualTo(5);
        publishModel(6);
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> agent.stats().modelVersion() == 5);
        assertThat(agent.deployment()).contains(done);
    }

    /** An S16 device that holds the meta-model before its first sample starts learning from it once samples come. */
    @Test
    void aMetaModelThatArrivesBeforeTheFirstSample_isLearnedFromOnceSamplesCome() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean sensing = new java.util.concurrent.atomic.AtomicBoolean();
        DataSource sine = DataSources.sine(2.0, 0.5, 3);
        start("cortex-m4", null, () -> sensing.get() ? sine.next() : java.util.Optional.empty());
        await().atMost(WAIT).until(() -> broker.publishedOn(topics.device("dev-1", Topics.DeviceTopic.HELLO)).size()
                > hellosBefore);
        publishModel(1);
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> agent.stats().modelVersion() == -1);

        sensing.set(true);

        await().atMost(WAIT).until(() -> agent.stats().modelVersion() == 1 && agent.stats().samplesSeen() > 10);
    }

    @Test
    void install_onAnS16DeviceWithoutSamplesYet_waitsForTheFirstSamplesInsteadOfRefusing() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean sensing = new java.util.concurrent.atomic.AtomicBoolean();
        DataSource sine = DataSources.sine(2.0, 0.5, 3);
        start("cortex-m4", null, () -> sensing.get() ? sine.next() : java.util.Optional.empty());

        deploy(install("r-1", snapshot(5, SINE), 0, 0));

        DeploymentStatus waiting = awaitState("r-1", DeploymentStatus.State.RECEIVED);
        assertThat(waiting.reason()).contains("waiting for the first samples");
        sensing.set(true);
        DeploymentStatus serving = awaitState("r-1", DeploymentStatus.State.SERVING);
        assertThat(serving.servingVersion()).isEqualTo(5);
        assertThat(serving.format()).isEqualTo(io.tinyfed.core.NumberFormat.S16);
        assertThat(agent.stats().modelVersion()).isEqualTo(5);
    }

    @Test
    void rollback_returnsToTheVersionServedBefore() throws Exception {
        start("gateway", null);
        publishModel(1);
        await().atMost(WAIT).until(() -> agent.stats().modelVersion() == 1 && agent.stats().samplesSeen() > 10);
        deploy(install("r-1", snapshot(5, SINE), 0, 0));
        awaitState("r-1", DeploymentStatus.State.SERVING);

        deploy(Deploy.rollback("r-1", 0, Instant.ofEpochMilli(++issued)));

        DeploymentStatus back = awaitState("r-1", DeploymentStatus.State.ROLLED_BACK);
        assertThat(back.servingVersion()).isEqualTo(1);
        assertThat(back.previousVersion()).isEqualTo(-1);
        assertThat(agent.stats().modelVersion()).isEqualTo(1);
    }

    @Test
    void deploy_thatIsTamperedOrDoesNotFit_isRefusedWithAReasonAndChangesNothing() throws Exception {
        start("cortex-m4", null);
        publishModel(1);
        await().atMost(WAIT).until(() -> agent.stats().modelVersion() == 1 && agent.stats().samplesSeen() > 10);
        byte[] signed = WireCodec.encode(install("r-bad", snapshot(5, SINE), 0, 0), "dev-1", signer);
        byte[] tampered = Wire.Deploy.parseFrom(signed).toBuilder().setShadowSamples(1).build().toByteArray();

        broker.publish(topics.device("dev-1", Topics.DeviceTopic.DEPLOY), tampered, false);

        DeploymentStatus refused = awaitState("r-bad", DeploymentStatus.State.FAILED);
        assertThat(refused.reason()).contains("BAD_SIGNATURE");
        assertThat(refused.servingVersion()).isEqualTo(1);

        deploy(install("r-big", snapshot(5, Architecture.mlp(Layer.Kind.RELU, 1, 600, 600, 1)), 0, 0));

        DeploymentStatus tooBig = awaitState("r-big", DeploymentStatus.State.FAILED);
        assertThat(tooBig.reason()).contains("does not fit this device's 262144 B of RAM");
        assertThat(tooBig.servingVersion()).isEqualTo(1);
        assertThat(agent.stats().modelVersion()).isEqualTo(1);
    }

    @Test
    void restart_servesTheDeployedVersionAgainAndIgnoresAReplayedDeploy() throws Exception {
        start("gateway", state);
        publishModel(1);
        await().atMost(WAIT).until(() -> agent.stats().modelVersion() == 1 && agent.stats().samplesSeen() > 10);
        Deploy first = install("r-1", snapshot(5, SINE), 0, 0);
        deploy(first);
        awaitState("r-1", DeploymentStatus.State.SERVING);
        agent.close();
        String statusTopic = topics.device("dev-1", Topics.DeviceTopic.DEPLOYMENT);
        int reportsBefore = broker.publishedOn(statusTopic).size();

        start("gateway", state);

        assertThat(agent.stats().modelVersion()).isEqualTo(5);
        await().atMost(WAIT).until(() -> broker.publishedOn(statusTopic).size() > reportsBefore);
        DeploymentStatus again = published();
        assertThat(again.state()).isEqualTo(DeploymentStatus.State.SERVING);
        assertThat(again.servingVersion()).isEqualTo(5);
        assertThat(again.previousVersion()).isEqualTo(1);
        deploy(install("r-0", snapshot(3, SINE), 0, 0)); // issued later: applied
        awaitState("r-0", DeploymentStatus.State.SERVING);
        deploy(first); // issued earlier than the last applied: ignored
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> agent.stats().modelVersion() == 3);
    }
}
