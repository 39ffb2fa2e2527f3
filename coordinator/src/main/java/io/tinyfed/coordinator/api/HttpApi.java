package io.tinyfed.coordinator.api;

import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import io.tinyfed.coordinator.Coordinator;
import java.util.Map;

/**
 * Starts the Micronaut HTTP server around a running {@link Coordinator}: the JSON API under
 * {@code /api}, {@code /health} and {@code /prometheus}, bound to {@code host:port} (port 0: free),
 * guarded by {@link ApiGuard} (allowed Host names, a bearer token for every state change).
 */
public final class HttpApi implements AutoCloseable {
    private final ApplicationContext context;
    private final EmbeddedServer server;

    private HttpApi(ApplicationContext context, EmbeddedServer server) {
        this.context = context;
        this.server = server;
    }

    /**
     * Who may use the API: the host names a request may name (loopback names and the bind address), and
     * the bearer token state-changing requests must carry.
     *
     * @param tokenFile where the token is kept, for messages
     */
    public record Access(java.util.Set<String> allowedHosts, byte[] token, java.nio.file.Path tokenFile) {
    }

    /** The token file in a coordinator's store: created owner-only with a random token on first start. */
    public static java.nio.file.Path tokenFile(Coordinator coordinator) {
        return coordinator.store().directory().resolve("api.token");
    }

    /**
     * Starts the API on {@code host:port} (port 0: free). State-changing requests need the bearer
     * token in {@link #tokenFile}; requests must name a loopback host, {@code host}, or one of
     * {@code extraHosts} (names under which a reverse proxy serves it).
     */
    public static HttpApi start(Coordinator coordinator, String host, int port, String... extraHosts) {
        java.nio.file.Path tokenFile = tokenFile(coordinator);
        char[] token = io.tinyfed.registry.SparqlEndpoint.loadOrCreateSecret(tokenFile);
        java.util.Set<String> hosts = new java.util.TreeSet<>(java.util.List.of("127.0.0.1", "localhost", "[::1]"));
        hosts.add(ApiGuard.hostOf(host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host));
        for (String extra : extraHosts) {
            hosts.add(ApiGuard.hostOf(extra));
        }
        Access access = new Access(java.util.Set.copyOf(hosts),
                new String(token).getBytes(java.nio.charset.StandardCharsets.UTF_8), tokenFile);
        ApplicationContext context = ApplicationContext.builder()
                .deduceEnvironment(false)
                .banner(false)
                .singletons(coordinator, access)
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
