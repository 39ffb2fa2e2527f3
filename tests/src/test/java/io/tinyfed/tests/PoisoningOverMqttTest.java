package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.RobustAggregation;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.protocol.mqtt.Transport;
import io.tinyfed.simulators.tasks.SineFamily;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two poisoning attacks over real MQTT against a coordinator with its default defences: a valid
 * update of [10.0] x 1761 (norm 419, under the old absolute bound of 1000) and an update claiming
 * 2^31-1 samples. Each is refused with its reason while the three honest devices' updates make the new
 * version, which moves theta by their mean delta and not by the attacker's.
 */
class PoisoningOverMqttTest {
    private final RawDevices raw = new RawDevices();

    private TrainTask awaitTask(Coordinator c, Topics topics, String id, int count) throws Exception {
        String topic = topics.device(id, Topics.DeviceTopic.TASK);
        await().atMost(Duration.ofSeconds(30)).until(() -> raw.on(topic).size() >= count);
        return WireCodec.decodeTask(raw.on(topic).get(count - 1), id, new io.tinyfed.protocol.SnapshotVerifier(
                io.tinyfed.protocol.TrustedKeys.read(c.trustFile())));
    }

    @Test
    void bothAttacksAreRefusedAndTheHonestUpdatesMakeTheVersion(@TempDir Path dir) throws Exception {
        Model init = Model.initialize(SineFamily.ARCHITECTURE, 3);
        int n = init.parameterCount();
        Topics topics = Topics.of("poison");
        List<String> ids = List.of("evil", "h-1", "h-2", "h-3");
        try (Coordinator c = Coordinator.builder().fleet("poison").store(dir).initialModel(init)
                // Round 2 ends at its deadline: the refused update never counts towards the quorum.
                .rounds(new RoundEngine.Settings("sine", 4, 0.02f, 4, Duration.ofSeconds(10), 1.0, 1,
                        Double.POSITIVE_INFINITY, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(4),
                        new RobustAggregation(RobustAggregation.Rule.MEAN, 0, -2))).start()) {
            Map<String, Transport> devices = new java.util.LinkedHashMap<>();
            for (String id : ids) {
                devices.put(id, raw.connect(c.brokerUri(), topics, id));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> c.engine().eligible().size() == 4);
            c.startRun(2);

            float[] constant = new float[n];
            Arrays.fill(constant, 10f);
            float[] honest = new float[n];
            honest[0] = 0.01f;
            honest[1] = -0.02f;
            for (int round = 1; round <= 2; round++) {
                Model before = c.engine().currentModel();
                for (String id : ids) {
                    TrainTask task = awaitTask(c, topics, id, round);
                    ModelUpdate u = !id.equals("evil")
                            ? new ModelUpdate(task.round(), id, "sine", task.modelVersion(), honest, 10, 1f, 0.5f)
                            : round == 1 ? new ModelUpdate(task.round(), id, "sine", task.modelVersion(), constant, 10, 1f, 0.5f)
                            : new ModelUpdate(task.round(), id, "sine", task.modelVersion(), negated(honest), Integer.MAX_VALUE,
                                    1f, 0.5f);
                    devices.get(id).publish(topics.device(id, Topics.DeviceTopic.UPDATE),
                            WireCodec.encode(u, NumberFormat.F32, 0), false);
                }
                int closed = round;
                await().atMost(Duration.ofSeconds(30)).until(() -> c.engine().roundsClosed() >= closed);
                RoundEngine.RoundSummary summary = c.engine().history().get(round - 1);

                assertThat(summary.accepted()).as("round %d", round).containsExactly("h-1", "h-2", "h-3");
                assertThat(summary.rejected()).containsOnlyKeys(round == 1 ? RejectReason.NORM_BOUND : RejectReason.INVALID_FIELD);
                float[] moved = c.engine().currentModel().f32Parameters();
                float[] was = before.f32Parameters();
                assertThat(moved[0] - was[0]).as("theta moves by the honest mean").isCloseTo(0.01f, org.assertj.core.data.Offset.offset(1e-6f));
                assertThat(moved[1] - was[1]).isCloseTo(-0.02f, org.assertj.core.data.Offset.offset(1e-6f));
                assertThat(moved[2]).isEqualTo(was[2]);
            }
            String rejects = topics.device("evil", Topics.DeviceTopic.REJECT);
            await().atMost(Duration.ofSeconds(20)).until(() -> raw.on(rejects).size() == 2);
            for (Transport t : devices.values()) {
                t.close();
            }
        }
    }

    private static float[] negated(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = -v[i];
        }
        return out;
    }
}
