package io.tinyfed.coordinator.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tinyfed.protocol.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedBrokerTest {
    private static final Topics TOPICS = Topics.of("fleet");
    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;

    @BeforeAll
    static void start() throws Exception {
        DeviceCredentials credentials = DeviceCredentials.empty().put("dev-1", "s3cret".toCharArray())
                .put("dev-2", "other".toCharArray()).put("dev-lock", "right".toCharArray());
        broker = EmbeddedBroker.start(0, dir, "fleet", credentials);
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static MqttClient connect(String clientId, String user, char[] password) throws MqttException {
        MqttClient c = new MqttClient(broker.uri(), clientId, new MemoryPersistence());
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setUserName(user);
        o.setPassword(new String(password).getBytes(StandardCharsets.UTF_8));
        o.setConnectionTimeout(10);
        c.connect(o);
        return c;
    }

    @Test
    void fiveWrongPasswords_lockTheDeviceOut_evenWithTheRightOneAfterwards() {
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> connect("dev-lock", "dev-lock", "guess".toCharArray()))
                    .isInstanceOfSatisfying(MqttException.class, e -> assertThat(e.getReasonCode()).isEqualTo(134));
        }
        assertThatThrownBy(() -> connect("dev-lock", "dev-lock", "right".toCharArray()))
                .isInstanceOfSatisfying(MqttException.class, e -> assertThat(e.getReasonCode()).isEqualTo(135));
        assertThat(broker.loginsThrottled()).isPositive();
    }

    @Test
    void listensOnLoopbackOnAFreePort() {
        assertThat(broker.port()).isPositive().isNotEqualTo(1883);
        assertThat(broker.uri()).startsWith("tcp://127.0.0.1:");
    }

    @Test
    void aPublishLargerThanAnyTinyFedMessage_disconnectsItsSenderAndReachesNobody() throws Exception {
        List<Integer> seen = new CopyOnWriteArrayList<>();
        MqttClient coordinator = connect("coord-size", EmbeddedBroker.COORDINATOR_USER, broker.coordinatorSecret());
        coordinator.subscribe(new MqttSubscription[] {new MqttSubscription("tinyfed/v1/fleet/device/dev-2/update", 1)},
                new org.eclipse.paho.mqttv5.client.IMqttMessageListener[] {(topic, m) -> seen.add(m.getPayload().length)});
        MqttClient device = connect("dev-2", "dev-2", "other".toCharArray());
        String topic = TOPICS.device("dev-2", Topics.DeviceTopic.UPDATE);
        MqttMessage small = new MqttMessage(new byte[] {1, 2, 3});
        small.setQos(1);

        MqttMessage huge = new MqttMessage(new byte[io.tinyfed.protocol.Limits.MAX_PACKET_BYTES + 1]);
        huge.setQos(1);
        try {
            device.publish(topic, huge);
        } catch (MqttException refusedOrCut) {
            // either answer is a refusal; what matters is what the broker does next
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> !device.isConnected());
        MqttClient again = connect("dev-2", "dev-2", "other".toCharArray());
        again.publish(topic, small);
        await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty());

        assertThat(seen).containsExactly(3);
        again.disconnect();
        coordinator.disconnect();
    }

    @Test
    void authenticatesDevicesByCredentialsAndClientId() throws Exception {
        MqttClient ok = connect("dev-1", "dev-1", "s3cret".toCharArray());
        assertThat(ok.isConnected()).isTrue();
        ok.disconnect();
        assertThatThrownBy(() -> connect("dev-1", "dev-1", "wrong".toCharArray())).isInstanceOf(MqttException.class);
        assertThatThrownBy(() -> connect("dev-2", "dev-1", "s3cret".toCharArray())).isInstanceOf(MqttException.class);
        assertThatThrownBy(() -> connect("dev-3", "dev-3", "x".toCharArray())).isInstanceOf(MqttException.class);
        assertThatThrownBy(() -> connect("c", EmbeddedBroker.COORDINATOR_USER, "guess".toCharArray()))
                .isInstanceOf(MqttException.class);
    }

    @Test
    void aDeviceMayPublishOnlyUnderItsOwnSubtree() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        MqttClient coordinator = connect("coord-acl", EmbeddedBroker.COORDINATOR_USER, broker.coordinatorSecret());
        coordinator.subscribe(new MqttSubscription[] {new MqttSubscription("tinyfed/v1/fleet/#", 1)},
                new org.eclipse.paho.mqttv5.client.IMqttMessageListener[] {(topic, m) -> seen.add(topic)});
        MqttMessage m = new MqttMessage(new byte[] {1});
        m.setQos(1);
        // someone else's subtree, its own task topic (coordinator-only), a model topic (coordinator-only):
        // each publish is refused and the broker disconnects the offender
        for (String forbidden : List.of(TOPICS.device("dev-2", Topics.DeviceTopic.UPDATE),
                TOPICS.device("dev-1", Topics.DeviceTopic.TASK), TOPICS.model("sine"))) {
            MqttClient offender = connect("dev-1", "dev-1", "s3cret".toCharArray());
            try {
                offender.publish(forbidden, m);
            } catch (MqttException expected) {
                assertThat(expected).hasMessageContaining("Not authorized");
            }
            await(forbidden).atMost(Duration.ofSeconds(10)).until(() -> !offender.isConnected());
            offender.close(true);
        }
        MqttClient dev1 = connect("dev-1", "dev-1", "s3cret".toCharArray());
        dev1.publish(TOPICS.device("dev-1", Topics.DeviceTopic.UPDATE), m);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(TOPICS.device("dev-1", Topics.DeviceTopic.UPDATE)));
        assertThat(seen).containsExactly(TOPICS.device("dev-1", Topics.DeviceTopic.UPDATE));
        dev1.disconnect();
        coordinator.disconnect();
    }

    @Test
    void aDeviceCannotReadAnotherDevicesTasks() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        MqttClient dev1 = connect("dev-1", "dev-1", "s3cret".toCharArray());
        dev1.subscribe(new MqttSubscription[] {new MqttSubscription(TOPICS.device("dev-2", Topics.DeviceTopic.TASK), 1),
                        new MqttSubscription(TOPICS.device("dev-1", Topics.DeviceTopic.TASK), 1)},
                new org.eclipse.paho.mqttv5.client.IMqttMessageListener[] {(t, m) -> seen.add(t), (t, m) -> seen.add(t)});
        MqttClient coordinator = connect("coord-tasks", EmbeddedBroker.COORDINATOR_USER, broker.coordinatorSecret());
        MqttMessage m = new MqttMessage(new byte[] {2});
        m.setQos(1);
        coordinator.publish(TOPICS.device("dev-2", Topics.DeviceTopic.TASK), m);
        coordinator.publish(TOPICS.device("dev-1", Topics.DeviceTopic.TASK), m);
        await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty());
        Thread.sleep(200); // let a wrongly delivered message show up too (asserting absence)
        assertThat(seen).containsExactly(TOPICS.device("dev-1", Topics.DeviceTopic.TASK));
        dev1.disconnect();
        coordinator.disconnect();
    }

    @Test
    void aRoundOfAFleetPastAThousandDevices_waitsInTheCoordinatorsQueue_withoutLosingAnUpdate() throws Exception {
        // the coordinator's session, away while a round's updates arrive (as when they come faster than it reads)
        MqttClient away = new MqttClient(broker.uri(), "coord-queue", new MemoryPersistence());
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setUserName(EmbeddedBroker.COORDINATOR_USER);
        o.setPassword(new String(broker.coordinatorSecret()).getBytes(StandardCharsets.UTF_8));
        o.setCleanStart(false);
        o.setSessionExpiryInterval(600L);
        away.connect(o);
        String shared = TOPICS.sharedUpdates("coordinators-queue");
        away.subscribe(new MqttSubscription[] {new MqttSubscription(shared, 1)}, null);
        away.disconnect();
        away.close();
        MqttClient sender = connect("coord-send", EmbeddedBroker.COORDINATOR_USER, broker.coordinatorSecret());
        int updates = 1_500; // HiveMQ's default queue held 1,000 and dropped the rest
        for (int i = 0; i < updates; i++) {
            sender.publish(TOPICS.device("dev-" + i, Topics.DeviceTopic.UPDATE), new MqttMessage(new byte[] {1}, 1, false, null));
        }
        sender.disconnect();

        List<String> received = new CopyOnWriteArrayList<>();
        MqttClient back = new MqttClient(broker.uri(), "coord-queue", new MemoryPersistence());
        back.setCallback(new org.eclipse.paho.mqttv5.client.MqttCallback() {
            @Override
            public void disconnected(org.eclipse.paho.mqttv5.client.MqttDisconnectResponse r) {
            }

            @Override
            public void mqttErrorOccurred(MqttException e) {
            }

            @Override
            public void messageArrived(String topic, MqttMessage m) {
                received.add(topic);
            }

            @Override
            public void deliveryComplete(org.eclipse.paho.mqttv5.client.IMqttToken t) {
            }

            @Override
            public void connectComplete(boolean reconnect, String uri) {
            }

            @Override
            public void authPacketArrived(int code, org.eclipse.paho.mqttv5.common.packet.MqttProperties p) {
            }
        });
        back.connect(o);
        await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= updates);
        assertThat(received).hasSize(updates).doesNotHaveDuplicates();
        back.disconnect();
    }
}
