package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.broker.DeviceCredentials;
import io.tinyfed.coordinator.broker.MosquittoAcl;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.protocol.mqtt.Transport;
import io.tinyfed.simulators.Mosquitto;
import io.tinyfed.simulators.SimulatedFleet;
import io.tinyfed.simulators.tasks.SineFamily;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topology IoT deployments run: a Mosquitto on the gateway, bridged to a central Mosquitto. Devices log in to
 * their gateway's broker with their own passwords, the coordinator to the central one; the bridge carries the fleet's
 * device topics both ways and the model topics down. Rounds complete, and each broker confines what it should: the
 * gateway's ACL keeps a device to its own topics, and the central broker knows no device at all.
 */
class BridgedBrokersTest {
    private static final int DEVICES = 4;
    private static final int ROUNDS = 3;
    private static final String BRIDGE_USER = "tinyfed-bridge";

    @RegisterExtension
    final ProcessLogs logs = new ProcessLogs();

    @Test
    void devicesOnTheGatewaysBroker_trainWithTheCoordinatorOnTheCentralOne_andBothBrokersConfineDevices(@TempDir Path dir)
            throws Exception {
        assumeTrue(Mosquitto.installed(), "mosquitto is not installed (apt-get install mosquitto)");
        String fleet = "bridged";
        Topics topics = Topics.of(fleet);
        char[] coordinator = DeviceCredentials.newSecret();
        char[] bridge = DeviceCredentials.newSecret();
        Map<String, char[]> centralUsers = new LinkedHashMap<>();
        centralUsers.put(Mosquitto.COORDINATOR, coordinator);
        centralUsers.put(BRIDGE_USER, bridge);
        String centralAcl = "user " + BRIDGE_USER + "\ntopic readwrite " + topics.everything() + "\n\n"
                + MosquittoAcl.render(topics, Mosquitto.COORDINATOR);
        try (SimulatedFleet devices = new SimulatedFleet(fleet, DEVICES, 8);
             Mosquitto central = Mosquitto.start(dir.resolve("central"), centralUsers, centralAcl, "", coordinator)) {
            logs.add(central.log());
            String bridgeConf = String.join("\n",
                    "connection gateway-1",
                    "address 127.0.0.1:" + central.port(),
                    "remote_username " + BRIDGE_USER,
                    "remote_password " + new String(bridge),
                    "remote_clientid gateway-1-bridge",
                    "topic " + topics.everything().replace("#", "device/#") + " both 1",
                    "topic " + topics.everything().replace("#", "model/#") + " in 1", "");
            // the gateway's broker: the devices' passwords and the fleet's per-device ACL (its coordinator user is
            // nobody here: the coordinator is on the central broker)
            try (Mosquitto gateway = Mosquitto.start(dir.resolve("gateway"), devices.passwords(),
                    MosquittoAcl.render(topics, "no-coordinator-here"), bridgeConf, null);
                 Coordinator c = Coordinator.builder().store(dir.resolve("store")).fleet(fleet)
                         .initialModel(Model.initialize(SineFamily.ARCHITECTURE, 5))
                         .rounds(new RoundEngine.Settings("sine", 16, 0.02f, 10, Duration.ofSeconds(30), 1.0, DEVICES, 1e3, 5))
                         .strategy(new ReptileStrategy(1.0, true, ROUNDS, Selection.count(DEVICES))).withoutRegistry()
                         .externalBroker(central.uri(), Mosquitto.COORDINATOR, coordinator).start()) {
                logs.add(gateway.log());
                devices.start(gateway.uri(), c.trustFile());
                await().atMost(Duration.ofSeconds(60)).until(() -> c.engine().eligible().size() == DEVICES);
                c.startRun(ROUNDS);

                assertThat(c.awaitRun(Duration.ofMinutes(3))).as("all rounds closed").isTrue();
                assertThat(c.engine().history()).hasSize(ROUNDS).allSatisfy(r -> {
                    assertThat(r.newVersion()).isPositive();
                    assertThat(r.accepted()).hasSize(DEVICES);
                });
                assertThat(c.engine().rejectedTotals()).isEmpty();

                Transport.Listener ignore = new Transport.Listener() {
                    @Override
                    public void message(String topic, byte[] payload) {
                    }

                    @Override
                    public void connected(boolean reconnect) {
                    }
                };
                String me = SimulatedFleet.deviceId(0);
                char[] myPassword = devices.passwords().get(me);
                // the gateway's ACL: a device may not publish another device's update
                Transport spoofer = new PahoTransport(gateway.uri(), me + "-spoof", me, myPassword);
                // Mosquitto allows one connection per client id; the device keeps its own, this one uses another id
                try {
                    spoofer.connect(ignore, null, null);
                    assertThatThrownBy(() -> spoofer.publish(topics.device(SimulatedFleet.deviceId(1),
                            Topics.DeviceTopic.UPDATE), new byte[] {1}, false))
                            .as("a publish to another device's update topic on the gateway's broker")
                            .isInstanceOfSatisfying(org.eclipse.paho.mqttv5.common.MqttException.class,
                                    e -> assertThat(e.getReasonCode()).as("not authorised").isEqualTo(135));
                } finally {
                    spoofer.close();
                }
                // the central broker: no device has an account there
                Transport direct = new PahoTransport(central.uri(), me, me, myPassword);
                assertThatThrownBy(() -> direct.connect(ignore, null, null)).as("a device logging in to the central broker")
                        .isInstanceOfSatisfying(org.eclipse.paho.mqttv5.common.MqttException.class,
                                e -> assertThat(e.getReasonCode()).as("bad user name or password, or not authorised")
                                        .isIn(134, 135));
                direct.close();
            }
        }
    }
}
