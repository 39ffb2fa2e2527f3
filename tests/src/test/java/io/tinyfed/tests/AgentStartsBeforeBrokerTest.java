package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tinyfed.agent.Agent;
import io.tinyfed.agent.DataSources;
import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.broker.DeviceCredentials;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.store.CoordinatorKeys;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.TrustedKeys;
import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.simulators.tasks.SineFamily;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway that boots before its broker: the agent retries its first connection with back-off and
 * joins once the coordinator's broker is up; a wrong password is not retried.
 */
class AgentStartsBeforeBrokerTest {
    private static Agent agent(Path store, int port, String password) throws Exception {
        Agent.Settings settings = new Agent.Settings("early", "dev-1", HardwareProfile.load("gateway"), 0.005f, 10,
                Duration.ofMillis(5), 200, 1, "test");
        return new Agent(settings, new PahoTransport("tcp://127.0.0.1:" + port, "dev-1", "dev-1", password.toCharArray()),
                DataSources.sine(1.0, 0.0, 1), new SnapshotVerifier(TrustedKeys.read(CoordinatorKeys.trustFile(store))),
                Clock.systemUTC());
    }

    @Test
    void agentStartedBeforeTheBroker_retriesAndJoinsWhenItComesUp_butAWrongPasswordFailsAtOnce(@TempDir Path dir)
            throws Exception {
        Path store = dir.resolve("store");
        CoordinatorKeys.loadOrCreate(store, "coordinator");
        int port = CoordinatorKillRestartTest.freePort();
        DeviceCredentials credentials = DeviceCredentials.empty();
        credentials.put("dev-1", "right-password".toCharArray());
        List<String> retries = new CopyOnWriteArrayList<>();
        ExecutorService background = Executors.newSingleThreadExecutor();
        try (Agent early = agent(store, port, "right-password")) {
            Future<?> started = background.submit(() -> {
                early.startWhenReachable(retries::add);
                return null;
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> retries.size() >= 2);

            try (Coordinator c = Coordinator.builder().fleet("early").store(store).brokerPort(port).credentials(credentials)
                    .initialModel(Model.initialize(SineFamily.ARCHITECTURE, 1))
                    .rounds(new RoundEngine.Settings("sine", 8, 0.02f, 10, Duration.ofSeconds(10), 1.0, 1, 1e3, 1))
                    .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(1))).start()) {
                started.get(60, java.util.concurrent.TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(30)).until(() -> c.engine().onlineDevices().contains("dev-1"));
                assertThat(retries.get(0)).startsWith("broker not reachable (").contains("retrying in 1 s");

                try (Agent wrong = agent(store, port, "wrong-password")) {
                    List<String> wrongRetries = new CopyOnWriteArrayList<>();
                    assertThatThrownBy(() -> wrong.startWhenReachable(wrongRetries::add))
                            .isInstanceOf(org.eclipse.paho.mqttv5.common.MqttException.class);
                    assertThat(wrongRetries).as("a refusal is not retried").isEmpty();
                }
            }
        } finally {
            background.shutdownNow();
        }
    }
}
