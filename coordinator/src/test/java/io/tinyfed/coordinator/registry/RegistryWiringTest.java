package io.tinyfed.coordinator.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.registry.DeviceMatch;
import io.tinyfed.registry.Iris;
import io.tinyfed.registry.Purpose;
import io.tinyfed.registry.Registry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator with its default registry: hellos become SHACL-validated device descriptions,
 * state messages move devices online and offline, client selection is the registry's SPARQL
 * eligibility query, and the registry is served over SPARQL.
 */
class RegistryWiringTest {
    @TempDir
    Path dir;

    private static DeviceHello hello(String id, long ram, List<String> sensors, NumberFormat... formats) {
        return new DeviceHello(id, "wired", ram, 1 << 20, "cortex-m4", 80, EnumSet.of(formats[0], formats), sensors,
                "0.1.0", "", null);
    }

    @Test
    void selectionIsTheRegistrysEligibilityQuery() throws Exception {
        try (Coordinator c = Coordinator.builder().fleet("wired").store(dir)
                .initialModel(Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1))
                .rounds(new RoundEngine.Settings("room", 4, 0.02f, 4, Duration.ofSeconds(1), 1.0, 1, 100, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(2))).brokerPort(0).sparqlPort(0)
                .requiredSensors(List.of("temperature")).start()) {
            RoundEngine engine = c.engine();
            engine.deviceHello(hello("m4-temp", 262_144, List.of("temperature"), NumberFormat.S16));
            engine.deviceHello(hello("gw-no-sensor", 1 << 29, List.of(), NumberFormat.F32, NumberFormat.S16));
            engine.deviceHello(hello("tiny", 64, List.of("temperature"), NumberFormat.S16));
            engine.deviceHello(hello("no-ram", 0, List.of("temperature"), NumberFormat.S16));
            assertThat(c.flushRegistry(Duration.ofSeconds(10))).isTrue();

            assertThat(engine.eligible()).containsExactly("m4-temp");
            assertThat(engine.rejectedTotals()).containsEntry(RejectReason.INVALID_FIELD, 1L);
            Registry registry = c.registry().orElseThrow();
            assertThat(registry.devicesFor(Iris.version("room", 1), Purpose.INFERENCE)).extracting(DeviceMatch::deviceId)
                    .containsExactly("m4-temp");

            engine.deviceState("m4-temp", false);
            assertThat(c.flushRegistry(Duration.ofSeconds(10))).isTrue();
            assertThat(engine.eligible()).isEmpty();
            assertThat(engine.startRound()).isEmpty();

            String count = "SELECT (COUNT(?d) AS ?n) WHERE { ?d <https://tinyfed.io/ns#deviceId> ?id }";
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    c.sparqlUrl().orElseThrow() + "?query=" + URLEncoder.encode(count, StandardCharsets.UTF_8)))
                    .header("Accept", "text/csv").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.body().trim()).isEqualToNormalizingNewlines("n\n3".replace("\n", "\r\n"));
            // The endpoint's password file lives beside the admin secret in the store, owner-only, not in /tmp.
            assertThat(java.nio.file.Files.getPosixFilePermissions(dir.resolve("registry-admin.secret.passwd")))
                    .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
    }
}
