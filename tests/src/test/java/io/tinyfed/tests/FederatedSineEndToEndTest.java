package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.simulators.SimulatedFleet;
import io.tinyfed.simulators.SineFamily;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole loop over real MQTT over TCP: a coordinator and 10 agents (5 S16 Cortex-M4 profiles,
 * 5 F32 gateways, each its own sine task) learn the sine family by federated Reptile; the
 * meta-model must adapt to held-out tasks at least 3x better than the random init it started from.
 */
class FederatedSineEndToEndTest {
    private static final int DEVICES = 10;
    private static final int ROUNDS = 120;

    private static Coordinator.Builder coordinator(Path store, Model init) {
        return Coordinator.builder().store(store).initialModel(init)
                .rounds(new RoundEngine.Settings("sine", 32, 0.02f, 10, Duration.ofSeconds(10), 1.0, 1, 1e3, 3))
                .strategy(new ReptileStrategy(1.0, true, ROUNDS, Selection.count(5)));
    }

    private static void runAndCheck(Coordinator c, SimulatedFleet fleet, Model init) throws Exception {
        fleet.start(c.brokerUri(), c.trustFile());
        await().atMost(Duration.ofSeconds(60)).until(() -> c.engine().eligible().size() == DEVICES);
        c.startRun(ROUNDS);
        assertThat(c.awaitRun(Duration.ofMinutes(5))).as("all rounds closed").isTrue();
        assertThat(c.engine().history()).allSatisfy(r -> assertThat(r.newVersion()).isPositive());
        assertThat(c.engine().currentVersion().version()).isEqualTo(ROUNDS + 1);
        assertThat(c.engine().rejectedTotals()).isEmpty();

        List<SineFamily.Task> heldOut = SineFamily.tasks(100, 4242);
        double meta = SineFamily.meanAndInterval(SineFamily.adaptedMse(c.engine().currentModel(), heldOut,
                SineFamily.Protocol.STANDARD, 5))[0];
        double random = SineFamily.meanAndInterval(SineFamily.adaptedMse(init, heldOut, SineFamily.Protocol.STANDARD, 5))[0];
        assertThat(meta).as("meta-model %.3f vs random init %.3f", meta, random).isLessThan(random / 3);
    }

    @Test
    void embeddedBroker_tenAgentsLearnTheSineFamily(@TempDir Path dir) throws Exception {
        Model init = Model.initialize(SineFamily.ARCHITECTURE, 21);
        SimulatedFleet fleet = new SimulatedFleet("e2e-embedded", DEVICES, 21);
        // agents are closed first (declared last), then the coordinator and its broker
        try (Coordinator c = coordinator(dir, init).fleet("e2e-embedded").credentials(fleet.credentials()).start();
             SimulatedFleet agents = fleet) {
            runAndCheck(c, agents, init);
        }
    }

    @Test
    void mosquitto_tenAgentsLearnTheSineFamily(@TempDir Path dir) throws Exception {
        assumeTrue(reachable(), "no MQTT broker on 127.0.0.1:1883");
        Model init = Model.initialize(SineFamily.ARCHITECTURE, 22);
        String fleetId = "e2e-" + Long.toHexString(System.nanoTime());
        try (Coordinator c = coordinator(dir, init).fleet(fleetId).externalBroker("tcp://127.0.0.1:1883", null, null)
                .start(); SimulatedFleet agents = new SimulatedFleet(fleetId, DEVICES, 22)) {
            try {
                runAndCheck(c, agents, init);
            } finally {
                agents.close();
                c.clearRetained();
            }
        }
    }

    static boolean reachable() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 1883), 500);
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
