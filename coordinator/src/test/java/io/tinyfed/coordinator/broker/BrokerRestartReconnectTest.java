package io.tinyfed.coordinator.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.protocol.mqtt.Transport;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device transport survives a restart of its broker and publishes again. Topic aliases are
 * enabled on this broker on purpose, to cover brokers that grant them; this scenario does not
 * reproduce the alias failure the SIGKILL test hit (see the agent README), which the embedded
 * broker avoids by granting no aliases.
 */
class BrokerRestartReconnectTest {

    @Test
    void transportComesBackAfterTheBrokerRestartsAndPublishesAgain(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            port = s.getLocalPort();
        }
        String topic = "tinyfed/v1/fleet/device/dev-1/metrics";
        List<String> received = new CopyOnWriteArrayList<>();
        AtomicInteger connections = new AtomicInteger();
        EmbeddedBroker broker = EmbeddedBroker.start(port, dir.resolve("a"), "fleet", null, null, true);
        PahoTransport device = new PahoTransport(broker.uri(), "dev-1", null, null);
        PahoTransport observer = null;
        try {
            device.connect(new Transport.Listener() {
                @Override
                public void message(String t, byte[] payload) {
                }

                @Override
                public void connected(boolean reconnect) {
                    connections.incrementAndGet();
                }
            }, null, null);
            for (int i = 0; i < 5; i++) {
                device.publish(topic, new byte[] {(byte) i}, false);   // repeated topic: Paho assigns an alias
            }
            broker.close();
            broker = EmbeddedBroker.start(port, dir.resolve("b"), "fleet", null, null, true);
            observer = new PahoTransport(broker.uri(), "observer-coordinator", EmbeddedBroker.COORDINATOR_USER,
                    broker.coordinatorSecret());
            observer.connect(new Transport.Listener() {
                @Override
                public void message(String t, byte[] payload) {
                    received.add(new String(payload, StandardCharsets.UTF_8));
                }

                @Override
                public void connected(boolean reconnect) {
                }
            }, null, null);
            observer.subscribe(topic);
            await().atMost(Duration.ofSeconds(30)).until(() -> connections.get() >= 2 && device.isConnected());
            for (int i = 0; i < 3; i++) {
                device.publish(topic, ("after-" + i).getBytes(StandardCharsets.UTF_8), false);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 3);
            assertThat(device.isConnected()).isTrue();
        } finally {
            device.close();
            if (observer != null) {
                observer.close();
            }
            broker.close();
        }
    }
}
