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
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry's SPARQL endpoint over HTTPS with a certificate from the fleet CA, for clients on other hosts: it
 * answers queries with the same data as the loopback endpoint, refuses updates without the admin password, and
 * speaks no plain HTTP on its port.
 */
class SparqlHttpsTest {
    @Test
    void theEndpointOverHttps_answersQueries_refusesAnonymousUpdates_andHasNoPlainHttp(@TempDir Path dir) throws Exception {
        FleetCa ca = FleetCa.init(dir.resolve("ca"), "test fleet CA", Duration.ofDays(30));
        FleetCa.Issued server = ca.issue("registry", List.of("localhost", "127.0.0.1"), true, Duration.ofDays(30),
                dir.resolve("certs"), null);
        try (Coordinator c = Coordinator.builder().fleet("sparql-tls").store(dir.resolve("store"))
                .initialModel(Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1))
                .rounds(new RoundEngine.Settings("sine", 4, 0.02f, 4, Duration.ofSeconds(1), 1.0, 1, 100, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(1))).brokerPort(0).sparqlPort(0)
                .sparqlHttps(0, server.certificate(), server.key()).start()) {
            int port = c.sparqlHttpsPort().orElseThrow();
            HttpClient client = TlsClients.trusting(ca.certificateFile());
            String base = "https://localhost:" + port + "/tinyfed";
            String query = "SELECT ?v WHERE { GRAPH ?g { ?x <https://tinyfed.io/ns#versionNumber> ?v } }";
            c.flushRegistry(Duration.ofSeconds(10));

            HttpResponse<String> answer = client.send(HttpRequest.newBuilder(URI.create(base + "/sparql?query="
                    + URLEncoder.encode(query, StandardCharsets.UTF_8))).header("Accept", "application/sparql-results+json")
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> loopback = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    c.sparqlUrl().orElseThrow() + "?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)))
                    .header("Accept", "application/sparql-results+json").GET().build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> update = client.send(HttpRequest.newBuilder(URI.create(base + "/update"))
                    .header("Content-Type", "application/sparql-update")
                    .POST(HttpRequest.BodyPublishers.ofString("INSERT DATA { <urn:a> <urn:b> <urn:c> }")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).contains("\"value\": \"1\"").isEqualTo(loopback.body());
            assertThat(update.statusCode()).isEqualTo(401);
            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                    + "/$/ping")).timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(java.io.IOException.class);
            assertThat(Files.getPosixFilePermissions(dir.resolve("store/sparql-https.p12")))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        }
    }
}
