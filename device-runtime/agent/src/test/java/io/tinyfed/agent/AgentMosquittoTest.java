package io.tinyfed.agent;

import io.tinyfed.protocol.mqtt.Transport;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.TrustedKeys;
import io.tinyfed.protocol.WireCodec;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent against a real MQTT 5 broker over TCP: the Mosquitto on 127.0.0.1:1883 that these
 * machines run (skipped where it is not reachable). A Paho client plays the coordinator. Each run
 * uses its own fleet id and clears its retained messages afterwards.
 */
class AgentMosquittoTest {
    private static final String BROKER = "tcp://127.0.0.1:1883";
    private static final Architecture SINE = Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1);
    private final String fleet = "it-" + Long.toHexString(System.nanoTime());
    private final Topics topics = Topics.of(fleet);
    private final KeyPair keys = SnapshotSigner.generateKeyPair();
    private final SnapshotSigner signer = new SnapshotSigner("coord", keys.getPrivate());
    private final Map<String, List<byte[]>> received = new ConcurrentHashMap<>();
    private PahoTransport coordinator;

    static boolean mosquittoReachable() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 1883), 500);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @BeforeEach
    void connectCoordinator() throws Exception {
        assumeTrue(mosquittoReachable(), "no MQTT broker on 127.0.0.1:1883");
        coordinator = new PahoTransport(BROKER, fleet + "-coordinator", null, null);
        coordinator.connect(new Transport.Listener() {
            @Override
            public void message(String topic, byte[] payload) {
                received.computeIfAbsent(topic, t -> new CopyOnWriteArrayList<>()).add(payload);
            }

            @Override
            public void connected(boolean reconnect) {
            }
        }, topics.device("coordinator", Topics.DeviceTopic.STATE), new byte[0]);
        coordinator.subscribe(topics.allDevices(Topics.DeviceTopic.HELLO), topics.allDevices(Topics.DeviceTopic.STATE),
                topics.allDevices(Topics.DeviceTopic.UPDATE));
        ModelSnapshot s = signer.sign("sine", 1, Model.initialize(SINE, 4), Instant.now());
        coordinator.publish(topics.model("sine"), WireCodec.encode(s), true);
    }

    @AfterEach
    void clearRetained() throws Exception {
        if (coordinator == null) {
            return;
        }
        for (String topic : List.of(topics.model("sine"), topics.device("dev-a", Topics.DeviceTopic.HELLO),
                topics.device("dev-a", Topics.DeviceTopic.STATE), topics.device("dev-small", Topics.DeviceTopic.HELLO),
                topics.device("dev-small", Topics.DeviceTopic.STATE), topics.device("coordinator", Topics.DeviceTopic.STATE))) {
            coordinator.publish(topic, new byte[0], true);
        }
        coordinator.close();
    }

    private List<byte[]> on(String topic) {
        return received.getOrDefault(topic, List.of());
    }

    private ModelUpdate roundTrip(String deviceId, int round) throws Exception {
        await().atMost(Duration.ofSeconds(15)).until(() -> !on(topics.device(deviceId, Topics.DeviceTopic.HELLO)).isEmpty());
        TrainTask task = new TrainTask(round, "sine", 1, 16, 0.02f, 8, Instant.now().plusSeconds(20));
        // The device may still be collecting its first samples; the task waits on its side until the deadline.
        coordinator.publish(topics.device(deviceId, Topics.DeviceTopic.TASK), WireCodec.encode(task, deviceId, signer), false);
        String updates = topics.device(deviceId, Topics.DeviceTopic.UPDATE);
        await().atMost(Duration.ofSeconds(25)).until(() -> !on(updates).isEmpty());
        return WireCodec.decodeUpdate(on(updates).get(0));
    }

    @Test
    void agentJoinsARoundOverRealMqtt() throws Exception {
        Agent.Settings settings = new Agent.Settings(fleet, "dev-a", HardwareProfile.load("cortex-m4"), 0.005f, 32,
                Duration.ofMillis(2), 1000, 1, "test");
        try (Agent agent = new Agent(settings, new PahoTransport(BROKER, fleet + "-dev-a", null, null),
                DataSources.sine(2, 0.5, 1), new io.tinyfed.protocol.SnapshotVerifier(Map.of("coord", keys.getPublic())),
                java.time.Clock.systemUTC())) {
            agent.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> agent.stats().modelVersion() == 1
                    && agent.stats().samplesSeen() > 40);
            ModelUpdate u = roundTrip("dev-a", 3);
            assertThat(u.round()).isEqualTo(3);
            assertThat(u.delta()).hasSize(SINE.parameterCount());
            assertThat(u.lossAfter()).isLessThan(u.lossBefore());
        }
        String state = topics.device("dev-a", Topics.DeviceTopic.STATE);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            List<byte[]> states = on(state);
            return !states.isEmpty() && !WireCodec.decodeState(states.get(states.size() - 1)).online();
        });
    }

    @Test
    void onAnOpenBroker_anAnonymousClientsTaskIsRefused_andTheCoordinatorsStillRuns() throws Exception {
        Agent.Settings settings = new Agent.Settings(fleet, "dev-a", HardwareProfile.load("gateway"), 0.005f, 32,
                Duration.ofMillis(2), 1000, 1, "test");
        try (Agent agent = new Agent(settings, new PahoTransport(BROKER, fleet + "-dev-a", null, null),
                DataSources.sine(2, 0.5, 1), new io.tinyfed.protocol.SnapshotVerifier(Map.of("coord", keys.getPublic())),
                java.time.Clock.systemUTC());
             PahoTransport stranger = new PahoTransport(BROKER, fleet + "-stranger", null, null)) {
            agent.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> agent.stats().modelVersion() == 1
                    && agent.stats().samplesSeen() > 40);
            stranger.connect(new Transport.Listener() {
                @Override
                public void message(String topic, byte[] payload) {
                }

                @Override
                public void connected(boolean reconnect) {
                }
            }, null, null);
            // the attack seen on a broker without TinyFed's ACL: an unsigned task of 100,000 inner steps
            byte[] unsigned = io.tinyfed.protocol.internal.wire.Wire.TrainTask.newBuilder().setRound(9).setModelId("sine")
                    .setModelVersion(1).setInnerSteps(100_000).setLearningRate(0.02f).setBatchSize(8)
                    .setDeadlineMs(Instant.now().plusSeconds(20).toEpochMilli()).setDeviceId("dev-a").build().toByteArray();
            stranger.publish(topics.device("dev-a", Topics.DeviceTopic.TASK), unsigned, false);
            await().atMost(Duration.ofSeconds(10)).until(() -> agent.stats().messagesRejected()
                    .getOrDefault(io.tinyfed.protocol.RejectReason.BAD_SIGNATURE, 0L) == 1L);
            assertThat(agent.stats().updatesPublished()).isZero();
            assertThat(roundTrip("dev-a", 3).round()).isEqualTo(3);
        }
    }

    @Test
    void agentProcessRunsAFullRoundInA32MegabyteHeap(@TempDir Path dir) throws Exception {
        Path trust = dir.resolve("trust.keys");
        TrustedKeys.write(trust, "coord", keys.getPublic());
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-Xmx32m", "-cp", System.getProperty("java.class.path"),
                AgentMain.class.getName(), "--broker", BROKER, "--fleet", fleet, "--id", "dev-small",
                "--data", "sine:1.5,0.2,9", "--trust", trust.toString(), "--profile", "cortex-m4", "--sample-ms", "2")
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
        try {
            ModelUpdate u = roundTrip("dev-small", 1);
            assertThat(u.deviceId()).isEqualTo("dev-small");
            assertThat(u.delta()).hasSize(SINE.parameterCount());
            assertThat(p.isAlive()).as("agent still running in -Xmx32m").isTrue();
        } catch (Throwable failure) {
            p.destroy();
            p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS);
            System.err.println("----- agent log -----\n" + java.nio.file.Files.readString(dir.resolve("agent.log")));
            throw failure;
        } finally {
            p.destroy();
            assertThat(p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
        String state = topics.device("dev-small", Topics.DeviceTopic.STATE);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            List<byte[]> states = on(state);
            return !states.isEmpty() && !WireCodec.decodeState(states.get(states.size() - 1)).online();
        });
    }
}
