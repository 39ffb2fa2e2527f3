package io.tinyfed.protocol.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

/**
 * Reconnection against the Mosquitto on 127.0.0.1:1883 (skipped where it is not reachable): the
 * connection is taken over by a second client with the same id, which the broker resolves by
 * disconnecting the first; the transport must come back by itself and keep publishing.
 */
class PahoTransportMosquittoTest {

    static boolean reachable() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 1883), 500);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void reconnectsAfterLosingItsConnectionAndPublishesAgain() throws Exception {
        assumeTrue(reachable(), "no MQTT broker on 127.0.0.1:1883");
        String id = "paho-reconnect-" + Long.toHexString(System.nanoTime());
        String topic = "tinyfed-test/" + id + "/data";
        List<String> received = new CopyOnWriteArrayList<>();
        AtomicInteger connections = new AtomicInteger();
        PahoTransport transport = new PahoTransport("tcp://127.0.0.1:1883", id, null, null);
        try {
            transport.connect(new Transport.Listener() {
                @Override
                public void message(String t, byte[] payload) {
                    received.add(new String(payload, StandardCharsets.UTF_8));
                }

                @Override
                public void connected(boolean reconnect) {
                    connections.incrementAndGet();
                }
            }, null, null);
            transport.subscribe(topic);
            for (int i = 0; i < 3; i++) {
                transport.publish(topic, ("before-" + i).getBytes(StandardCharsets.UTF_8), false);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 3);

            MqttClient intruder = new MqttClient("tcp://127.0.0.1:1883", id, new MemoryPersistence());
            MqttConnectionOptions o = new MqttConnectionOptions();
            o.setCleanStart(false);
            o.setSessionExpiryInterval(60L);
            intruder.connect(o);                      // takes the session over: the transport is disconnected
            intruder.disconnect();
            intruder.close();

            await().atMost(Duration.ofSeconds(20)).until(() -> connections.get() >= 2 && transport.isConnected());
            transport.publish(topic, "after".getBytes(StandardCharsets.UTF_8), false);
            await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("after"));
            assertThat(transport.isConnected()).isTrue();
        } finally {
            transport.close();
        }
    }
}
