package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.agent.Agent;
import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.broker.EmbeddedBroker;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.Sample;
import io.tinyfed.protocol.Prediction;
import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrustedKeys;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.protocol.mqtt.Transport;
import io.tinyfed.simulators.tasks.SineFamily;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent asked to publish predictions sends, for every live sample, what the model it serves output for it
 * before learning from it: a subscriber over the embedded broker reads them, and the first equals the meta-model's
 * own output for the first sample (F32, so exactly).
 */
class PredictionsOverMqttTest {
    @Test
    void anAgentPublishesTheServedModelsOutputForEveryLiveSample(@TempDir Path dir) throws Exception {
        Model init = Model.initialize(SineFamily.ARCHITECTURE, 3);
        List<Sample> samples = SineFamily.FAMILY.trainingTask(new SplittableRandom(2)).samples(40, new SplittableRandom(4));
        try (Coordinator c = Coordinator.builder().fleet("pred").store(dir).initialModel(init)
                .rounds(new RoundEngine.Settings("sine", 8, 0.02f, 10, Duration.ofSeconds(5), 1.0, 1, 1e3, 7))
                .strategy(new ReptileStrategy(1.0, false, 1, Selection.count(1))).brokerPort(0).withoutRegistry().start();
             PahoTransport reader = new PahoTransport(c.brokerUri(), "reader-" + System.nanoTime(),
                     EmbeddedBroker.COORDINATOR_USER, c.brokerSecret(), null)) {
            List<Prediction> got = new CopyOnWriteArrayList<>();
            List<String> refused = new CopyOnWriteArrayList<>();
            reader.connect(new Transport.Listener() {
                @Override
                public void message(String topic, byte[] payload) {
                    try {
                        got.add(WireCodec.decodePrediction(payload));
                    } catch (ProtocolException e) {
                        refused.add(e.getMessage());
                    }
                }

                @Override
                public void connected(boolean reconnect) {
                }
            }, null, null);
            reader.subscribe(Topics.of("pred").allDevices(Topics.DeviceTopic.PREDICTION));
            Iterator<Sample> data = samples.iterator();
            Agent.Settings settings = new Agent.Settings("pred", "dev-1", HardwareProfile.load("gateway"), 0.005f, 64,
                    Duration.ofMillis(5), 1000, 1, "test");
            // the sensor delivers once the agent holds the meta-model, so the first sample is the first prediction
            java.util.concurrent.atomic.AtomicReference<Agent> agent = new java.util.concurrent.atomic.AtomicReference<>();
            try (Agent a = new Agent(settings, new PahoTransport(c.brokerUri(), "dev-1", null, null),
                    () -> agent.get() != null && agent.get().stats().modelVersion() >= 1 && data.hasNext()
                            ? Optional.of(data.next()) : Optional.empty(),
                    new SnapshotVerifier(TrustedKeys.read(c.trustFile())), Clock.systemUTC()).publishPredictions(true)) {
                agent.set(a);
                a.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> got.size() >= 20);
            }
            assertThat(refused).isEmpty();
            assertThat(got).allSatisfy(p -> {
                assertThat(p.deviceId()).isEqualTo("dev-1");
                assertThat(p.modelId()).isEqualTo("sine");
                assertThat(p.version()).isEqualTo(1);
                assertThat(p.output()).hasSize(1);
            });
            assertThat(got).extracting(Prediction::sample).isSorted().doesNotHaveDuplicates();
            Prediction first = got.get(0);
            assertThat(first.sample()).isEqualTo(1);
            float[] expected = new float[1];
            Network.prepareForInference(init, Long.MAX_VALUE).infer(samples.get(0).x(), expected);
            assertThat(first.output()).containsExactly(expected);
        }
    }
}
