package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.TrustedKeys;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.protocol.mqtt.Transport;
import io.tinyfed.simulators.tasks.SineFamily;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One device floods the broker with 30,000 QoS 1 updates while three honest devices take part in
 * rounds: the broker refuses what exceeds the flooder's quota and disconnects it, and every honest
 * update of every round reaches the coordinator and is aggregated.
 */
class FloodOverMqttTest {
    private final RawDevices raw = new RawDevices();

    @Test
    void aFloodingDeviceIsRefusedAndDisconnected_andEveryHonestUpdateArrives(@TempDir Path dir) throws Exception {
        Model init = Model.initialize(SineFamily.ARCHITECTURE, 3);
        Topics topics = Topics.of("flood");
        List<String> honest = List.of("h-1", "h-2", "h-3");
        int rounds = 3;
        try (Coordinator c = Coordinator.builder().fleet("flood").store(dir).initialModel(init).brokerPort(0)
                .rounds(new RoundEngine.Settings("sine", 4, 0.02f, 4, Duration.ofSeconds(60), 1.0, 3,
                        Double.POSITIVE_INFINITY, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(3))).withoutRegistry().start()) {
            SnapshotVerifier verifier = new SnapshotVerifier(TrustedKeys.read(c.trustFile()));
            Map<String, Transport> devices = new java.util.LinkedHashMap<>();
            for (String id : honest) {
                devices.put(id, raw.connect(c.brokerUri(), topics, id));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> c.engine().eligible().size() == 3);

            // The flooder never says hello (it is never selected): it only publishes, as fast as the broker acknowledges.
            PahoTransport flooder = new PahoTransport(c.brokerUri(), "flooder", "flooder", "any".toCharArray());
            flooder.connect(new Transport.Listener() {
                @Override
                public void message(String topic, byte[] payload) {
                }

                @Override
                public void connected(boolean reconnect) {
                }
            }, null, null);
            float[] junk = new float[init.parameterCount()];
            byte[] flood = WireCodec.encode(new ModelUpdate(1, "flooder", "sine", 1, junk, 10, 1f, 0.5f), NumberFormat.F32, 0);
            AtomicLong sent = new AtomicLong();
            AtomicLong refused = new AtomicLong();
            AtomicInteger stoppedAt = new AtomicInteger(-1);
            Thread flooding = new Thread(() -> {
                for (int i = 0; i < 30_000; i++) {
                    try {
                        flooder.publish(topics.device("flooder", Topics.DeviceTopic.UPDATE), flood, false);
                        sent.incrementAndGet();
                    } catch (Exception e) {
                        refused.incrementAndGet();
                        if (!flooder.isConnected()) {
                            stoppedAt.set(i);
                            return;
                        }
                    }
                }
            }, "flooder");
            flooding.start();
            c.startRun(rounds);
            float[] delta = new float[init.parameterCount()];
            delta[0] = 0.01f;
            for (int round = 1; round <= rounds; round++) {
                for (String id : honest) {
                    String taskTopic = topics.device(id, Topics.DeviceTopic.TASK);
                    int r = round;
                    await().atMost(Duration.ofSeconds(60)).until(() -> raw.on(taskTopic).size() >= r);
                    TrainTask task = WireCodec.decodeTask(raw.on(taskTopic).get(round - 1), id, verifier);
                    devices.get(id).publish(topics.device(id, Topics.DeviceTopic.UPDATE), WireCodec.encode(
                            new ModelUpdate(task.round(), id, "sine", task.modelVersion(), delta, 10, 1f, 0.5f),
                            NumberFormat.F32, 0), false);
                }
                int closed = round;
                await().atMost(Duration.ofSeconds(60)).until(() -> c.engine().roundsClosed() >= closed);
            }
            flooding.join(Duration.ofSeconds(60).toMillis());

            System.out.printf("flood: %d acknowledged, %d refused before the disconnect at publish %d; broker refusals %d, "
                    + "disconnects %d%n", sent.get(), refused.get(), stoppedAt.get(), c.broker().orElseThrow().quotaRefusals(),
                    c.broker().orElseThrow().quotaDisconnects());
            assertThat(c.engine().history()).hasSize(rounds).allSatisfy(s ->
                    assertThat(s.accepted()).containsExactlyInAnyOrderElementsOf(honest));
            assertThat(stoppedAt.get()).as("the flooder was disconnected before it sent everything").isBetween(0, 29_999);
            assertThat(c.broker().orElseThrow().quotaDisconnects()).isGreaterThanOrEqualTo(1);
            assertThat(c.broker().orElseThrow().quotaRefusals()).isGreaterThanOrEqualTo(refused.get() - 1);
            assertThat(sent.get()).as("what got through is bounded by the quota's burst and rate")
                    .isLessThan(1_000);
            for (Transport t : devices.values()) {
                t.close();
            }
            flooder.close();
        }
    }
}
