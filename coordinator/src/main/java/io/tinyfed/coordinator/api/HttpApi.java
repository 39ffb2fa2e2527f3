package io.tinyfed.coordinator.api;

import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import io.tinyfed.coordinator.Coordinator;
import java.util.List;
import java.util.Map;

/**
 * Starts the Micronaut HTTP server around a running {@link Coordinator}: the JSON API under
 * {@code /api}, {@code /health} and {@code /prometheus}, the web dashboard under {@code /dashboard/}
 * (static files from the classpath, live through {@link DashboardController}), bound to {@code host:port} (port 0: free),
 * guarded by {@link ApiGuard} (allowed Host names, a bearer token for every state change).
 */
public final class HttpApi implements AutoCloseable {
    private final ApplicationContext context;
    private final EmbeddedServer server;
    private final boolean https;

    private HttpApi(ApplicationContext context, EmbeddedServer server, boolean https) {
        this.context = context;
        this.server = server;
        this.https = https;
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
        return start(coordinator, host, port, null, extraHosts);
    }

    /**
     * The same API over HTTPS on {@code host:port} (port 0: free), for operators on other hosts: {@code certificate}
     * (a PEM chain) and {@code key} (its unencrypted PKCS#8 PEM key) become an owner-only PKCS#12 key store in the
     * store directory, re-created at every start. Requests may also name the certificate's DNS and IP names.
     *
     * @throws java.io.IOException if the certificate or key cannot be read
     */
    public static HttpApi startHttps(Coordinator coordinator, String host, int port, java.nio.file.Path certificate,
                                     java.nio.file.Path key) throws java.io.IOException {
        io.tinyfed.coordinator.store.PemKeyStore ks = io.tinyfed.coordinator.store.PemKeyStore.write(certificate, key, coordinator.store().directory().resolve("https.p12"));
        return start(coordinator, host, port, new Https(ks.file(), ks.password()), ks.names().toArray(new String[0]));
    }

    /** An HTTPS listener's PKCS#12 key store. */
    private record Https(java.nio.file.Path keyStore, String password) {
    }

    private static HttpApi start(Coordinator coordinator, String host, int port, Https https, String... extraHosts) {
        java.nio.file.Path tokenFile = tokenFile(coordinator);
        char[] token = io.tinyfed.registry.SparqlEndpoint.loadOrCreateSecret(tokenFile);
        java.util.Set<String> hosts = new java.util.TreeSet<>(java.util.List.of("127.0.0.1", "localhost", "[::1]"));
        hosts.add(ApiGuard.hostOf(host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host));
        for (String extra : extraHosts) {
            hosts.add(ApiGuard.hostOf(extra));
        }
        Access access = new Access(java.util.Set.copyOf(hosts),
                new String(token).getBytes(java.nio.charset.StandardCharsets.UTF_8), tokenFile);
        Map<String, Object> properties = new java.util.HashMap<>(Map.of(
                "micronaut.application.name", "tinyfed-coordinator",
                "micronaut.server.host", host,
                "micronaut.server.port", port,
                "micronaut.metrics.enabled", true,
                "micronaut.metrics.export.prometheus.enabled", true,
                "micronaut.metrics.export.prometheus.descriptions", true,
                "endpoints.prometheus.sensitive", false,
                "endpoints.health.enabled", true));
        // the dashboard's own files, and those it shares with the registry's console (helpers, SPARQL console, style)
        properties.putAll(Map.of(
                "micronaut.router.static-resources.dashboard.paths", "classpath:dashboard",
                "micronaut.router.static-resources.dashboard.mapping", "/dashboard/**",
                "micronaut.router.static-resources.shared.paths", "classpath:io/tinyfed/registry/console",
                "micronaut.router.static-resources.shared.mapping", "/dashboard/shared/**"));
        if (https != null) {
            properties.putAll(Map.of(
                    "micronaut.server.ssl.enabled", true,
                    "micronaut.server.ssl.port", port == 0 ? -1 : port,
                    "micronaut.server.ssl.build-self-signed", false,
                    "micronaut.server.ssl.key-store.path", "file:" + https.keyStore().toAbsolutePath(),
                    "micronaut.server.ssl.key-store.password", https.password(),
                    "micronaut.server.ssl.key-store.type", "PKCS12",
                    "micronaut.server.ssl.protocols", List.of("TLSv1.3", "TLSv1.2")));
        }
        ApplicationContext context = ApplicationContext.builder()
                .deduceEnvironment(false)
                .banner(false)
                .singletons(coordinator, access)
                .properties(properties)
                .start();
        EmbeddedServer server = context.getBean(EmbeddedServer.class);
        server.start();
        return new HttpApi(context, server, https != null);
    }

    public String url() {
        return (https ? "https://" : "http://") + server.getHost() + ":" + server.getPort();
    }

    @Override
    public void close() {
        server.stop();
        context.close();
    }
}
