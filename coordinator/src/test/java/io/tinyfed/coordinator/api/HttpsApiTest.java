package io.tinyfed.coordinator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.broker.FleetCa;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API over HTTPS with a certificate the fleet CA issued: a client that trusts the CA reads it and needs the
 * token to change state; plain HTTP on that port gets no API; the key store it made is owner-only.
 */
class HttpsApiTest {
    @Test
    void theApiOverHttps_isReadWithTheCaAndStillNeedsTheTokenForStateChanges(@TempDir Path dir) throws Exception {
        FleetCa ca = FleetCa.init(dir.resolve("ca"), "test fleet CA", Duration.ofDays(30));
        FleetCa.Issued server = ca.issue("api", List.of("localhost", "127.0.0.1"), true, Duration.ofDays(30),
                dir.resolve("certs"), null);
        try (Coordinator c = Coordinator.builder().fleet("https").store(dir.resolve("store"))
                .initialModel(Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1))
                .rounds(new RoundEngine.Settings("sine", 4, 0.02f, 4, Duration.ofSeconds(1), 1.0, 1, 100, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(1))).brokerPort(0).withoutRegistry().start();
             HttpApi api = HttpApi.startHttps(c, "127.0.0.1", 0, server.certificate(), server.key())) {
            assertThat(api.url()).startsWith("https://127.0.0.1:");
            HttpClient client = TlsClients.trusting(ca.certificateFile());
            String base = api.url().replace("127.0.0.1", "localhost");

            HttpResponse<String> fleet = client.send(HttpRequest.newBuilder(URI.create(base + "/api/fleet")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> noToken = client.send(HttpRequest.newBuilder(URI.create(base + "/api/runs"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"rounds\":1}")).header("Content-Type", "application/json")
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertThat(fleet.statusCode()).isEqualTo(200);
            assertThat(fleet.body()).contains("\"fleet\":\"https\"");
            assertThat(noToken.statusCode()).isEqualTo(401);
            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create(base.replace("https:", "http:")
                    + "/api/fleet")).timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(java.io.IOException.class);
            assertThat(Files.getPosixFilePermissions(c.store().directory().resolve("https.p12")))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        }
    }
}
