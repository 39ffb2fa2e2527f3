package io.tinyfed.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import org.apache.jena.atlas.web.AuthScheme;
import org.apache.jena.fuseki.auth.Auth;
import org.apache.jena.fuseki.main.FusekiServer;
import org.apache.jena.fuseki.server.DataService;
import org.apache.jena.fuseki.server.Operation;
import org.apache.jena.sparql.core.DatasetGraph;

/**
 * The registry as a standard SPARQL 1.1 Protocol endpoint, served by Fuseki: {@code /tinyfed/query}
 * and {@code /tinyfed/sparql} (GET and POST; JSON, XML, CSV, TSV results by {@code Accept}) and
 * {@code /tinyfed/get} (Graph Store read) are open and read-only; {@code /tinyfed/update} needs
 * HTTP basic authentication as {@link #ADMIN}, whose secret is kept in a file next to the store.
 * The default graph is the union of the registry's named graphs (one per description), so an
 * update must write into a named graph ({@code INSERT DATA { GRAPH <g> { ... } }}) to be seen.
 * Every query is cancelled after {@link #DEFAULT_QUERY_TIMEOUT} (configurable; updates, which need
 * the admin secret, are not bounded), and
 * {@code SERVICE} (federated queries to other URLs) is refused on the served dataset; at most
 * {@link #DEFAULT_MAX_CONCURRENT_QUERIES} queries run at once and a response stops at
 * {@link #DEFAULT_MAX_RESULT_BYTES} (both configurable).
 * Binds to 127.0.0.1 unless told otherwise. Build with {@link #builder()}.
 */
public final class SparqlEndpoint implements AutoCloseable {
    /** How long a query may run on the endpoint unless {@link Builder#queryTimeout} says otherwise. */
    public static final java.time.Duration DEFAULT_QUERY_TIMEOUT = java.time.Duration.ofSeconds(10);
    /** How many queries run at once unless {@link Builder#maxConcurrentQueries} says otherwise. */
    public static final int DEFAULT_MAX_CONCURRENT_QUERIES = 4;
    /** The largest query response unless {@link Builder#maxResultBytes} says otherwise. */
    public static final long DEFAULT_MAX_RESULT_BYTES = 64L * 1024 * 1024;
    /** The user allowed to send SPARQL updates. */
    public static final String ADMIN = "tinyfed-admin";
    /** The dataset name in endpoint URLs. */
    public static final String DATASET = "tinyfed";

    private final FusekiServer server;
    /** The same service over HTTPS on every interface, for other hosts; null when not asked for. */
    private final FusekiServer https;
    private final io.tinyfed.registry.internal.QueryGate gate;

    private SparqlEndpoint(FusekiServer server, FusekiServer https, io.tinyfed.registry.internal.QueryGate gate) {
        this.server = server;
        this.https = https;
        this.gate = gate;
    }

    /** The HTTPS port, when the endpoint also serves HTTPS. */
    public java.util.OptionalInt httpsPort() {
        return https == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(https.getHttpsPort());
    }

    /** Queries refused because every query slot was taken. */
    public long busyRefusals() {
        return gate.busyRefusals();
    }

    /** Query responses cut off at the result-size cap. */
    public long truncatedResults() {
        return gate.truncated();
    }

    public static Builder builder() {
        return new Builder();
    }

    public int port() {
        return server.getPort();
    }

    /** The dataset URL: append {@code /query}, {@code /sparql} or {@code /update}. */
    public String datasetUrl() {
        return "http://127.0.0.1:" + port() + "/" + DATASET;
    }

    public String queryUrl() {
        return datasetUrl() + "/sparql";
    }

    /** The SPARQL console's page in a browser. */
    public String consoleUrl() {
        return "http://127.0.0.1:" + port() + "/console/";
    }

    @Override
    public void close() {
        // Jetty watches the password file until its scanner thread ends, so the file goes at JVM exit.
        if (https != null) {
            https.stop();
        }
        server.stop();
    }

    /**
     * Reads the admin secret from {@code file}, creating it (owner-only, random 24 bytes) if missing.
     * Coordinators and {@code ./tinyfed registry serve} keep it next to the registry's store.
     */
    public static char[] loadOrCreateSecret(Path file) {
        try {
            if (Files.exists(file)) {
                return Files.readString(file, StandardCharsets.UTF_8).trim().toCharArray();
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] raw = new byte[24];
            new SecureRandom().nextBytes(raw);
            String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            Path tmp = createOwnerOnly(file.resolveSibling(file.getFileName() + ".tmp"));
            Files.writeString(tmp, secret + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return secret.toCharArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the registry admin secret " + file, e);
        }
    }

    /**
     * Creates {@code p} anew (replacing any old file), owner-only from the moment it exists, so a secret
     * written into it is never readable by others, not even briefly.
     */
    private static Path createOwnerOnly(Path p) throws IOException {
        Files.deleteIfExists(p);
        try {
            return Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            return Files.createFile(p); // not a POSIX file system; the file lives in the user's store directory
        }
    }

    private static void restrict(Path p) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system; the file lives in the user's store directory
        }
    }

    private static FusekiServer.Builder configure(FusekiServer.Builder b, Path passwords, DataService.Builder service,
                                                  io.tinyfed.registry.internal.QueryGate gate, Registry registry) {
        if (registry != null) {
            // Matchmaking for HTTP clients, bounded like the queries it runs.
            b.addServlet("/" + DATASET + "/match", new io.tinyfed.registry.internal.MatchServlet(registry))
                    .addFilter("/" + DATASET + "/match", gate);
        }
        // The SPARQL console (static files and the shipped queries; it queries the endpoint like any client).
        b.addServlet("/console/*", new io.tinyfed.registry.internal.ConsoleServlet());
        return b.passwordFile(passwords.toString()).auth(AuthScheme.BASIC)
                .enablePing(true).enableStats(false).enableMetrics(false)
                .addFilter("/" + DATASET + "/query", gate).addFilter("/" + DATASET + "/sparql", gate)
                .addFilter("/" + DATASET + "/get", gate)
                .add("/" + DATASET, service);
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Endpoint configuration: the dataset is required; port 0 picks a free port. */
    public static final class Builder {
        private DatasetGraph dataset;
        private Registry registry;
        private int port;
        private boolean loopback = true;
        private char[] adminSecret;
        private java.time.Duration queryTimeout = DEFAULT_QUERY_TIMEOUT;
        private Path adminSecretFile;
        private int maxConcurrentQueries = DEFAULT_MAX_CONCURRENT_QUERIES;
        private long maxResultBytes = DEFAULT_MAX_RESULT_BYTES;
        private int httpsPort = -1;
        private Path httpsKeyStore;
        private String httpsKeyStorePassword;

        /**
         * Also serve the endpoint over HTTPS on {@code port} (0: a free one) on every interface, with
         * the key and certificate chain in a PKCS#12 {@code keyStore}: the same dataset, limits and
         * update password, for SPARQL clients on other hosts (plain HTTP stays on 127.0.0.1).
         */
        public Builder https(int port, Path keyStore, String password) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("HTTPS port out of range: " + port);
            }
            httpsPort = port;
            httpsKeyStore = keyStore;
            httpsKeyStorePassword = password;
            return this;
        }

        /** Queries that may run at once (default {@link #DEFAULT_MAX_CONCURRENT_QUERIES}); more wait a second, then 503. */
        public Builder maxConcurrentQueries(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("at least one query must be able to run, got " + v);
            }
            maxConcurrentQueries = v;
            return this;
        }

        /** The largest query response in bytes (default {@link #DEFAULT_MAX_RESULT_BYTES}); a larger one is cut off. */
        public Builder maxResultBytes(long v) {
            if (v < 1) {
                throw new IllegalArgumentException("the result-size cap must be positive, got " + v);
            }
            maxResultBytes = v;
            return this;
        }

        public Builder dataset(DatasetGraph v) {
            dataset = v;
            return this;
        }

        /** Serves an embedded registry's dataset. */
        public Builder registry(Registry registry) {
            dataset = registry.dataset().orElseThrow(() -> new IllegalArgumentException(
                    "a remote registry is served by its own SPARQL endpoint"));
            this.registry = registry;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        /** Listen on all interfaces instead of 127.0.0.1 only. */
        public Builder allInterfaces(boolean v) {
            loopback = !v;
            return this;
        }

        /**
         * How long one query may run before it is cancelled (default {@link #DEFAULT_QUERY_TIMEOUT}):
         * a cartesian product from an anonymous client must not keep a core busy after the client gave up.
         */
        public Builder queryTimeout(java.time.Duration v) {
            if (v.isNegative() || v.isZero()) {
                throw new IllegalArgumentException("query timeout must be positive, got " + v);
            }
            queryTimeout = v;
            return this;
        }

        /**
         * The secret for {@link #ADMIN} from {@code file} (created owner-only with a random secret if
         * missing; see {@link #loadOrCreateSecret}); the server's password file is kept beside it.
         */
        public Builder adminSecretFile(Path file) {
            adminSecret = loadOrCreateSecret(file);
            adminSecretFile = file;
            return this;
        }

        /** The secret for {@link #ADMIN}; null disables updates entirely. */
        public Builder adminSecret(char[] v) {
            adminSecret = v;
            return this;
        }

        public SparqlEndpoint start() {
            if (dataset == null) {
                throw new IllegalStateException("no dataset to serve");
            }
            try {
                Path passwords;
                if (adminSecretFile != null) {
                    // Beside the secret, rewritten at every start: nothing is left in the system temp directory,
                    // not even after kill -9.
                    passwords = createOwnerOnly(adminSecretFile.resolveSibling(adminSecretFile.getFileName() + ".passwd"));
                } else {
                    passwords = Files.createTempFile("tinyfed-registry-", ".passwd");
                    restrict(passwords);
                    passwords.toFile().deleteOnExit();
                }
                String line = adminSecret == null ? "" : ADMIN + ": " + new String(adminSecret) + "\n";
                Files.writeString(passwords, line, StandardCharsets.UTF_8);
                // The served dataset answers SPARQL queries from anyone who reaches the port: bound each in time, and
                // never let it make the server fetch other URLs (SERVICE), which would turn it into a proxy.
                dataset.getContext().set(org.apache.jena.query.ARQ.queryTimeout, String.valueOf(queryTimeout.toMillis()));
                dataset.getContext().set(org.apache.jena.sparql.exec.http.Service.httpServiceAllowed, false);
                DataService.Builder service = DataService.newBuilder(dataset)
                        .addEndpoint(Operation.Query, "query")
                        .addEndpoint(Operation.Query, "sparql")
                        .addEndpoint(Operation.GSP_R, "get")
                        .addEndpoint(Operation.Update, "update",
                                adminSecret == null ? Auth.DENY_ALL : Auth.policyAllowSpecific(ADMIN));
                io.tinyfed.registry.internal.QueryGate gate = new io.tinyfed.registry.internal.QueryGate(
                        maxConcurrentQueries, maxResultBytes);
                FusekiServer server = configure(FusekiServer.create().port(port).loopback(loopback), passwords, service, gate, registry)
                        .build();
                server.start();
                FusekiServer secure = null;
                if (httpsPort >= 0) {
                    try {
                        int chosen = httpsPort != 0 ? httpsPort : freePort();
                        secure = configure(FusekiServer.create().https(chosen, httpsKeyStore.toString(), httpsKeyStorePassword)
                                .loopback(false), passwords, service, gate, registry).build();
                        secure.start();
                    } catch (RuntimeException e) {
                        server.stop();
                        throw e;
                    }
                }
                return new SparqlEndpoint(server, secure, gate);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
