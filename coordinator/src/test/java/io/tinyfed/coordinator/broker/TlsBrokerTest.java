package io.tinyfed.coordinator.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.mqtt.TlsFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
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

/**
 * The embedded broker's TLS listener with device certificates from a fleet CA: a device proves who it
 * is by its certificate, and nobody gets in without one issued to its own id.
 */
class TlsBrokerTest {
    private static final Topics TOPICS = Topics.of("fleet");
    @TempDir
    static Path dir;
    private static FleetCa ca;
    private static EmbeddedBroker broker;

    @BeforeAll
    static void start() throws Exception {
        ca = FleetCa.init(dir.resolve("ca"), "test fleet CA", Duration.ofDays(30));
        FleetCa.Issued server = ca.issue("broker", List.of("localhost", "127.0.0.1"), true, Duration.ofDays(30),
                dir.resolve("certs"), null);
        ca.issue("dev-1", List.of(), false, Duration.ofDays(30), dir.resolve("certs"), null);
        broker = EmbeddedBroker.start(0, dir.resolve("broker"), "fleet", null, new EmbeddedBroker.TlsListener(
                "127.0.0.1", 0, server.certificate(), server.key(), ca.certificateFile(), EmbeddedBroker.ClientAuth.REQUIRED, 0));
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static MqttClient connect(String uri, String clientId, TlsFiles tls) throws Exception {
        MqttClient c = new MqttClient(uri, clientId, new MemoryPersistence());
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setConnectionTimeout(10);
        if (tls != null) {
            o.setSocketFactory(tls.socketFactory());
            o.setHttpsHostnameVerificationEnabled(true);
        }
        c.connect(o);
        return c;
    }

    private static TlsFiles deviceFiles(String name) {
        Path certs = dir.resolve("certs");
        return new TlsFiles(ca.certificateFile(), certs.resolve(name + ".crt"), certs.resolve(name + ".key"));
    }

    @Test
    void keysAreOwnerOnly_andCertificatesArePem() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca").resolve(FleetCa.CA_KEY))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("certs").resolve("dev-1.key"))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(dir.resolve("certs").resolve("dev-1.crt"))).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(Files.readString(dir.resolve("certs").resolve("dev-1.key"))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(TlsFiles.certificates(dir.resolve("certs").resolve("dev-1.crt"))).hasSize(2);
    }

    @Test
    void aDeviceWithItsOwnCertificate_connectsOverTls_andItsMessagesArrive() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        MqttClient coord = new MqttClient(broker.uri(), "coord-tls", new MemoryPersistence());
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setUserName(EmbeddedBroker.COORDINATOR_USER);
        o.setPassword(new String(broker.coordinatorSecret()).getBytes(StandardCharsets.UTF_8));
        coord.connect(o);
        coord.subscribe(new MqttSubscription[] {new MqttSubscription(TOPICS.device("dev-1", Topics.DeviceTopic.HELLO), 1)},
                new IMqttMessageListener[] {(t, m) -> seen.add(new String(m.getPayload(), StandardCharsets.UTF_8))});

        MqttClient device = connect(broker.tlsUri().orElseThrow(), "dev-1", deviceFiles("dev-1"));
        MqttMessage hello = new MqttMessage("hello over TLS".getBytes(StandardCharsets.UTF_8));
        hello.setQos(1);
        device.publish(TOPICS.device("dev-1", Topics.DeviceTopic.HELLO), hello);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("hello over TLS"));
        device.disconnect();
        coord.disconnect();
    }

    @Test
    void overSecureWebSocket_aDeviceWithItsCertificateConnects_andOneWithoutIsRefused() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        MqttClient coord = new MqttClient(broker.uri(), "coord-wss", new MemoryPersistence());
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setUserName(EmbeddedBroker.COORDINATOR_USER);
        o.setPassword(new String(broker.coordinatorSecret()).getBytes(StandardCharsets.UTF_8));
        coord.connect(o);
        coord.subscribe(new MqttSubscription[] {new MqttSubscription(TOPICS.device("dev-1", Topics.DeviceTopic.HELLO), 1)},
                new IMqttMessageListener[] {(t, m) -> seen.add(new String(m.getPayload(), StandardCharsets.UTF_8))});
        String wss = broker.webSocketUri().orElseThrow();
        assertThat(wss).startsWith("wss://127.0.0.1:").endsWith("/mqtt");

        MqttClient device = connect(wss.replace("127.0.0.1", "localhost"), "dev-1", deviceFiles("dev-1"));
        MqttMessage hello = new MqttMessage("hello over WebSocket".getBytes(StandardCharsets.UTF_8));
        hello.setQos(1);
        device.publish(TOPICS.device("dev-1", Topics.DeviceTopic.HELLO), hello);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("hello over WebSocket"));
        device.disconnect();
        coord.disconnect();
        TlsFiles caOnly = new TlsFiles(ca.certificateFile(), null, null);
        assertThatThrownBy(() -> connect(wss, "dev-1", caOnly)).isInstanceOf(MqttException.class);
    }

    @Test
    void aCertificateIssuedToAnotherDevice_isRefused() {
        assertThatThrownBy(() -> connect(broker.tlsUri().orElseThrow(), "dev-2", deviceFiles("dev-1")))
                .isInstanceOfSatisfying(MqttException.class, e -> assertThat(e.getReasonCode()).isEqualTo(135));
    }

    @Test
    void noClientCertificate_isRefusedByTheTlsListener() {
        assertThatThrownBy(() -> connect(broker.tlsUri().orElseThrow(), "dev-1", TlsFiles.trusting(ca.certificateFile())))
                .isInstanceOf(MqttException.class);
    }

    @Test
    void withDeviceCertificatesAndNoPasswords_theLoopbackListenerRefusesDevicesWithoutOne() {
        assertThatThrownBy(() -> connect(broker.uri(), "dev-1", null)).isInstanceOf(MqttException.class)
                .hasMessageContaining("authoriz");
    }

    @Test
    void aBrokerCertificateFromAnotherCa_isNotTrusted() throws Exception {
        FleetCa other = FleetCa.init(dir.resolve("other-ca"), "someone else", Duration.ofDays(1));
        FleetCa.Issued forged = other.issue("dev-1", List.of(), false, Duration.ofDays(1), dir.resolve("other"), null);
        assertThatThrownBy(() -> connect(broker.tlsUri().orElseThrow(), "dev-1",
                new TlsFiles(other.certificateFile(), forged.certificate(), forged.key())))
                .isInstanceOf(MqttException.class).rootCause().hasMessageContaining("certification path");
    }

    @Test
    void aBrokerCertificateForAnotherHost_failsHostnameVerification() throws Exception {
        FleetCa.Issued elsewhere = ca.issue("broker-elsewhere", List.of("elsewhere.example"), true, Duration.ofDays(1),
                dir.resolve("certs"), null);
        try (EmbeddedBroker wrongName = EmbeddedBroker.start(0, dir.resolve("broker-2"), "fleet", null,
                new EmbeddedBroker.TlsListener("127.0.0.1", 0, elsewhere.certificate(), elsewhere.key(),
                        ca.certificateFile(), EmbeddedBroker.ClientAuth.REQUIRED))) {
            assertThatThrownBy(() -> connect(wrongName.tlsUri().orElseThrow(), "dev-1", deviceFiles("dev-1")))
                    .isInstanceOf(MqttException.class).rootCause().hasMessageContaining("127.0.0.1");
            // the same broker with a certificate naming 127.0.0.1 is reached: only the name was wrong
            assertThat(connect(broker.tlsUri().orElseThrow(), "dev-1", deviceFiles("dev-1")).isConnected()).isTrue();
        }
    }

    @Test
    void aSecondInitInTheSameDirectory_refusesToReplaceTheCa() {
        assertThatThrownBy(() -> FleetCa.init(dir.resolve("ca"), "again", Duration.ofDays(1)))
                .hasMessageContaining("already holds a fleet CA");
    }
}
