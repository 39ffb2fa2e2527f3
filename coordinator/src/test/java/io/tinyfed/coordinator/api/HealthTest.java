package io.tinyfed.coordinator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.coordinator.Coordinator;
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
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /health} tells whether the coordinator can hear its fleet, not only whether HTTP answers. */
class HealthTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> health(HttpApi api) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(api.url() + "/health")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthIsDown_whileTheCoordinatorHasLostItsBroker(@TempDir Path dir) throws Exception {
        try (Coordinator c = Coordinator.builder().fleet("health").store(dir).brokerPort(0).withoutRegistry()
                .initialModel(Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1))
                .rounds(new RoundEngine.Settings("sine", 4, 0.02f, 4, Duration.ofSeconds(1), 1.0, 1, 100, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(1))).start()) {
            HttpApi api = HttpApi.start(c, "127.0.0.1", 0);
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> health(api).statusCode() == 200);
                assertThat(health(api).body()).contains("\"status\":\"UP\"");

                c.broker().orElseThrow().close();

                await().atMost(Duration.ofSeconds(30)).until(() -> health(api).statusCode() == 503);
                assertThat(health(api).body()).contains("DOWN");
            } finally {
                api.close();
            }
        }
    }
}
