package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.Limits;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.protocol.mqtt.Transport;
import io.tinyfed.simulators.tasks.SineFamily;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-written devices send a coordinator every kind of bad update over real MQTT: each is
 * refused with its reason, counted and answered with a Reject; the round is unaffected and
 * aggregates exactly the two valid updates.
 */
class BadInputOverMqttTest {
    private final RawDevices raw = new RawDevices();

    @Test
    void everyBadUpdateIsRefusedWithItsReasonAndTheRoundIsUnaffected(@TempDir Path dir) throws Exception {
        Model init = Model.initialize(SineFamily.ARCHITECTURE, 3);
        Topics topics = Topics.of("bad-input");
        try (Coordinator c = Coordinator.builder().fleet("bad-input").store(dir).initialModel(init)
                .rounds(new RoundEngine.Settings("sine", 4, 0.02f, 4, Duration.ofMinutes(5), 1.0, 2, 100.0, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(2))).start()) {
            Transport a = raw.connect(c.brokerUri(), topics, "dev-a");
            Transport b = raw.connect(c.brokerUri(), topics, "dev-b");
            await().atMost(Duration.ofSeconds(20)).until(() -> c.engine().eligible().size() == 2);
            c.startRun(1);
            String taskTopic = topics.device("dev-a", Topics.DeviceTopic.TASK);
            await().atMost(Duration.ofSeconds(20)).until(() -> !raw.on(taskTopic).isEmpty());
            TrainTask task = WireCodec.decodeTask(raw.on(taskTopic).get(0), "dev-a", new io.tinyfed.protocol.SnapshotVerifier(
                    io.tinyfed.protocol.TrustedKeys.read(c.trustFile())));
            int n = init.parameterCount();
            float[] delta = new float[n];
            delta[0] = 0.01f;
            String updates = topics.device("dev-a", Topics.DeviceTopic.UPDATE);
            ModelUpdate valid = new ModelUpdate(task.round(), "dev-a", "sine", task.modelVersion(), delta, 4, 1f, 0.5f);

            a.publish(updates, new byte[] {(byte) 0xFF, (byte) 0xFF, 7}, false);                      // malformed
            a.publish(updates, new byte[Limits.UPDATE_BYTES + 1], false);                               // oversize
            a.publish(updates, WireCodec.encode(new ModelUpdate(task.round() + 1, "dev-a", "sine",
                    task.modelVersion(), delta, 4, 1f, 0.5f), NumberFormat.F32, 0), false);             // wrong round
            float[] nan = delta.clone();
            nan[3] = Float.NaN;
            a.publish(updates, WireCodec.encode(new ModelUpdate(task.round(), "dev-a", "sine", task.modelVersion(),
                    nan, 4, 1f, 0.5f), NumberFormat.F32, 0), false);                                    // NaN delta
            a.publish(updates, WireCodec.encode(new ModelUpdate(task.round(), "dev-a", "sine", task.modelVersion(),
                    new float[n - 1], 4, 1f, 0.5f), NumberFormat.F32, 0), false);                       // wrong shape
            a.publish(updates, WireCodec.encode(new ModelUpdate(task.round(), "dev-b", "sine", task.modelVersion(),
                    delta, 4, 1f, 0.5f), NumberFormat.F32, 0), false);                                  // another id
            a.publish(updates, WireCodec.encode(valid, NumberFormat.F32, 0), false);                    // valid
            a.publish(updates, WireCodec.encode(valid, NumberFormat.F32, 0), false);                    // replay

            Map<RejectReason, Long> expected = Map.of(RejectReason.MALFORMED, 1L, RejectReason.OVERSIZE, 1L,
                    RejectReason.WRONG_ROUND, 1L, RejectReason.NON_FINITE, 1L, RejectReason.WRONG_SHAPE, 1L,
                    RejectReason.IDENTITY_MISMATCH, 1L, RejectReason.DUPLICATE, 1L);
            await().atMost(Duration.ofSeconds(20)).until(() -> c.engine().rejectedTotals().equals(expected));
            assertThat(c.engine().roundOpen()).as("one valid update of two: round still collecting").isTrue();
            assertThat(c.engine().currentModel()).isEqualTo(init);
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    raw.on(topics.device("dev-a", Topics.DeviceTopic.REJECT)).size() == 7);

            b.publish(topics.device("dev-b", Topics.DeviceTopic.UPDATE), WireCodec.encode(new ModelUpdate(task.round(),
                    "dev-b", "sine", task.modelVersion(), delta, 4, 1f, 0.5f), NumberFormat.F32, 0), false);
            await().atMost(Duration.ofSeconds(20)).until(() -> !c.engine().roundOpen());
            RoundEngine.RoundSummary summary = c.engine().history().get(0);
            assertThat(summary.accepted()).containsExactly("dev-a", "dev-b");
            assertThat(summary.newVersion()).isEqualTo(2);
            // theta + 1.0 * mean of two equal deltas
            assertThat(c.engine().currentModel().f32Parameters()[0]).isEqualTo(init.f32Parameters()[0] + 0.01f);
            a.close();
            b.close();
        }
    }
}
