package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.broker.EmbeddedBroker;
import io.tinyfed.coordinator.broker.FleetCa;
import io.tinyfed.coordinator.broker.MosquittoAcl;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.mqtt.TlsFiles;
import io.tinyfed.simulators.SimulatedFleet;
import io.tinyfed.simulators.tasks.SineFamily;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet whose devices reach the broker only over TLS, each with its own certificate from the
 * fleet CA (no passwords): on the embedded broker's TLS listener, and on a Mosquitto the test
 * starts with a TLS listener on a free port, certificates as identities and the ACL that
 * {@code tinyfed coordinator acl} generates.
 */
class TlsFleetTest {
    private static final int DEVICES = 4;
    private static final int ROUNDS = 5;

    @RegisterExtension
    final ProcessLogs logs = new ProcessLogs();

    private static Coordinator.Builder coordinator(Path store, String fleet) {
        return Coordinator.builder().store(store).fleet(fleet).initialModel(Model.initialize(SineFamily.ARCHITECTURE, 5))
                .rounds(new RoundEngine.Settings("sine", 16, 0.02f, 10, Duration.ofSeconds(20), 1.0, DEVICES, 1e3, 5))
                .strategy(new ReptileStrategy(1.0, true, ROUNDS, Selection.count(DEVICES))).withoutRegistry();
    }

    private static FleetCa certificates(Path dir, String... names) throws IOException {
        FleetCa ca = FleetCa.init(dir.resolve("ca"), "test fleet", Duration.ofDays(1));
        ca.issue("broker", List.of("localhost", "127.0.0.1"), true, Duration.ofDays(1), dir.resolve("certs"), null);
        for (String n : names) {
            ca.issue(n, List.of(), false, Duration.ofDays(1), dir.resolve("certs"), null);
        }
        for (int d = 0; d < DEVICES; d++) {
            ca.issue(SimulatedFleet.deviceId(d), List.of(), false, Duration.ofDays(1), dir.resolve("certs"), null);
        }
        return ca;
    }

    private static TlsFiles identity(Path dir, FleetCa ca, String name) {
        return new TlsFiles(ca.certificateFile(), dir.resolve("certs").resolve(name + ".crt"),
                dir.resolve("certs").resolve(name + ".key"));
    }

    private static void runRounds(Coordinator c, SimulatedFleet fleet, String tlsUri, Path dir, FleetCa ca) throws Exception {
        fleet.start(tlsUri, c.trustFile(), device -> identity(dir, ca, device));
        await().atMost(Duration.ofSeconds(60)).until(() -> c.engine().eligible().size() == DEVICES);
        c.startRun(ROUNDS);
        assertThat(c.awaitRun(Duration.ofMinutes(3))).as("all rounds closed").isTrue();
        assertThat(c.engine().history()).hasSize(ROUNDS).allSatisfy(r -> {
            assertThat(r.newVersion()).isPositive();
            assertThat(r.accepted()).hasSize(DEVICES);
        });
        assertThat(c.engine().rejectedTotals()).isEmpty();
    }

    @Test
    void embeddedBroker_devicesWithCertificatesOnly_trainOverTls(@TempDir Path dir) throws Exception {
        FleetCa ca = certificates(dir);
        Path certs = dir.resolve("certs");
        EmbeddedBroker.TlsListener listener = new EmbeddedBroker.TlsListener("127.0.0.1", 0, certs.resolve("broker.crt"),
                certs.resolve("broker.key"), ca.certificateFile(), EmbeddedBroker.ClientAuth.REQUIRED);
        try (Coordinator c = coordinator(dir.resolve("store"), "tls-embedded").brokerPort(0).brokerTls(listener).start();
             SimulatedFleet fleet = new SimulatedFleet("tls-embedded", DEVICES, 5)) {
            runRounds(c, fleet, c.brokerTlsUri().orElseThrow(), dir, ca);
        }
    }

    @Test
    void mosquittoWithTlsAndTheGeneratedAcl_devicesAndCoordinatorByCertificate(@TempDir Path dir) throws Exception {
        Path mosquitto = Path.of("/usr/sbin/mosquitto");
        assumeTrue(Files.isExecutable(mosquitto), "mosquitto is not installed (apt-get install mosquitto)");
        String fleetId = "tls-mosquitto";
        FleetCa ca = certificates(dir, "tinyfed-coordinator");
        Path certs = dir.resolve("certs");
        Path acl = Files.writeString(dir.resolve("acl"), MosquittoAcl.render(Topics.of(fleetId), "tinyfed-coordinator"));
        int port = freePort();
        Path conf = Files.writeString(dir.resolve("mosquitto.conf"), String.join("\n",
                "per_listener_settings false",
                "allow_anonymous false",
                "persistence false",
                "acl_file " + acl,
                "listener " + port + " 127.0.0.1",
                "cafile " + ca.certificateFile(),
                "certfile " + certs.resolve("broker.crt"),
                "keyfile " + certs.resolve("broker.key"),
                "require_certificate true",
                "use_identity_as_username true",
                "log_type error", "log_type warning", "log_type notice", "log_dest stdout", ""));
        // Mosquitto started as root changes to the mosquitto user unless told otherwise; the key files are ours.
        if ("root".equals(System.getProperty("user.name"))) {
            Files.writeString(conf, "user root\n" + Files.readString(conf));
        }
        Path log = logs.add(dir.resolve("mosquitto.log"));
        Process broker = new ProcessBuilder(mosquitto.toString(), "-c", conf.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> listening(port) || !broker.isAlive());
            assertThat(broker.isAlive()).as("mosquitto is running").isTrue();
            String uri = "ssl://127.0.0.1:" + port;
            try (Coordinator c = coordinator(dir.resolve("store"), fleetId)
                    .externalBroker(uri, "tinyfed-coordinator", null)
                    .externalBrokerTls(identity(dir, ca, "tinyfed-coordinator")).start();
                 SimulatedFleet fleet = new SimulatedFleet(fleetId, DEVICES, 6)) {
                runRounds(c, fleet, uri, dir, ca);
            }
        } finally {
            broker.destroy();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
