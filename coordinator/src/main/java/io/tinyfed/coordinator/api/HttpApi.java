package io.tinyfed.coordinator.api;

import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import io.tinyfed.coordinator.Coordinator;
import java.util.Map;

/**
 * Starts the Micronaut HTTP server around a running {@link Coordinator}: the JSON API under
 * {@code /api}, {@code /health} and {@code /prometheus}, bound to {@code host:port} (port 0: free).
 */
public final class HttpApi implements AutoCloseable {
    private final ApplicationContext context;
    private final EmbeddedServer server;

    private HttpApi(ApplicationContext context, EmbeddedServer server) {
        this.context = context;
        this.server = server;
    }

    public static HttpApi start(Coordinator coordinator, String host, int port) {
        ApplicationContext context = ApplicationContext.builder()
                .deduceEnvironment(false)
                .banner(false)
                .singletons(coordinator)
                .properties(Map.of(
                        "micronaut.application.name", "tinyfed-coordinator",
                        "micronaut.server.host", host,
                        "micronaut.server.port", port,
                        "micronaut.metrics.enabled", true,
                        "micronaut.metrics.export.prometheus.enabled", true,
                        "micronaut.metrics.export.prometheus.descriptions", true,
                        "endpoints.prometheus.sensitive", false,
                        "endpoints.health.enabled", true))
                .start();
        EmbeddedServer server = context.getBean(EmbeddedServer.class);
        server.start();
        return new HttpApi(context, server);
    }

    public String url() {
        return "http://" + server.getHost() + ":" + server.getPort();
    }

    @Override
    public void close() {
        server.stop();
        context.close();
    }
}
