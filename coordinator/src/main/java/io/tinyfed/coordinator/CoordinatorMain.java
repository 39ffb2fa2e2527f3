package io.tinyfed.coordinator;

import io.tinyfed.coordinator.api.HttpApi;
import io.tinyfed.coordinator.broker.DeviceCredentials;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.ModelCodec;
import java.io.Console;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tinyfed coordinator}: a standalone coordinator process. Resumes from its store after a
 * restart (including {@code kill -9}); serves the HTTP API; with {@code --rounds} it starts a run.
 */
@Command(name = "coordinator", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, subcommands = {CoordinatorMain.Credentials.class, CaCommand.class, CoordinatorMain.Acl.class},
        description = "Run a TinyFed coordinator (embedded MQTT 5 broker by default).")
public final class CoordinatorMain implements Callable<Integer> {
    @CommandLine.Mixin
    io.tinyfed.protocol.cli.LogOptions logging = new io.tinyfed.protocol.cli.LogOptions();

    @Option(names = "--config", paramLabel = "FILE", description = "Take options not given here from this "
            + "application.yml (or .properties): keys tinyfed.coordinator.OPTION, e.g. tinyfed.coordinator.broker-port: "
            + "1884; also MICRONAUT_CONFIG_FILES and variables TINYFED_COORDINATOR_OPTION (BROKER_PORT). Flags win, "
            + "then variables, then this file.")
    Path config;

    @Option(names = "--store", defaultValue = "tinyfed-store", description = "Model store and key directory (default: ${DEFAULT-VALUE}).")
    Path store;

    @Option(names = "--fleet", defaultValue = "default", description = "Fleet id (default: ${DEFAULT-VALUE}).")
    String fleet;

    @Option(names = "--model-id", defaultValue = "sine", description = "Model id (default: ${DEFAULT-VALUE}).")
    String modelId;

    @Option(names = "--model-file", description = "Initial F32 model (ModelCodec file) when the store is empty; "
            + "default: a seeded 1-40-40-1 ReLU MLP.")
    Path modelFile;

    @Option(names = "--broker", description = "External MQTT 5 broker URI instead of the embedded one.")
    String broker;

    @Option(names = "--broker-user", description = "User name on the external broker.")
    String brokerUser;

    @Option(names = "--broker-password-env", description = "Environment variable with the external broker password.")
    String brokerPasswordEnv;

    @CommandLine.Mixin
    io.tinyfed.protocol.mqtt.TlsOptions externalTls = new io.tinyfed.protocol.mqtt.TlsOptions();

    @Option(names = "--tls-listen", paramLabel = "[ADDRESS:]PORT", description = "Also serve MQTT over TLS here, for "
            + "devices on other hosts: 8883 (every interface), 192.168.1.10:8883, or 0 for a free port. Needs "
            + "--tls-server-cert, --tls-server-key and device authentication (--credentials and/or --tls-device-ca).")
    String tlsListen;

    @Option(names = "--wss-listen", paramLabel = "PORT", description = "Also serve MQTT over secure WebSocket "
            + "(wss://HOST:PORT/mqtt) on this port of --tls-listen's address, with its certificates and device "
            + "authentication, for clients that can only speak WebSocket (0: free).")
    Integer wssListen;

    @Option(names = "--tls-server-cert", paramLabel = "PEM", description = "The broker's certificate chain for "
            + "--tls-listen, naming the hosts devices dial (tinyfed coordinator ca issue --server --host ...).")
    Path tlsServerCert;

    @Option(names = "--tls-server-key", paramLabel = "PEM", description = "The unencrypted PKCS#8 key of --tls-server-cert.")
    Path tlsServerKey;

    @Option(names = "--tls-device-ca", paramLabel = "PEM", description = "Authenticate devices on --tls-listen by "
            + "certificates this CA issued (common name = device id). Without --credentials every device needs one; "
            + "with it, a device may use its password instead.")
    Path tlsDeviceCa;

    @Option(names = "--broker-port", defaultValue = "1884", description = "Embedded broker port on 127.0.0.1 (0: free; default: ${DEFAULT-VALUE}).")
    int brokerPort;

    @Option(names = "--credentials", description = "Device credentials file for the embedded broker (none: open broker, ACL still applied).")
    Path credentials;

    @Option(names = "--http-port", defaultValue = "8080", description = "HTTP API port on 127.0.0.1 (0: free; default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--https-listen", paramLabel = "[ADDRESS:]PORT", description = "Also serve the HTTP API over HTTPS "
            + "here, for operators on other hosts: 8443 (every interface), 192.168.1.10:8443, or 0 for a free port. "
            + "Uses --tls-server-cert and --tls-server-key; state changes still need the API token.")
    String httpsListen;

    @Option(names = "--rounds", defaultValue = "0", description = "Start a run of this many rounds at once (0: wait for POST /api/runs).")
    int rounds;

    @Option(names = "--per-round", defaultValue = "10", description = "Devices per round; all eligible ones when "
            + "fewer are (default: ${DEFAULT-VALUE}).")
    int perRound;

    @Option(names = "--min-replies", defaultValue = "1", description = "Updates needed to aggregate at the deadline (default: ${DEFAULT-VALUE}).")
    int minReplies;

    @Option(names = "--round-timeout", defaultValue = "30s", description = "Round deadline, e.g. 30s, 2m (default: ${DEFAULT-VALUE}).")
    String roundTimeout;

    @Option(names = "--quorum", defaultValue = "1.0", description = "Fraction of the asked devices whose accepted updates "
            + "close a round before its deadline, e.g. 0.8 (default: ${DEFAULT-VALUE}).")
    double quorum;

    @Option(names = "--straggler-rest", defaultValue = "2", description = "Rounds a device that sent no accepted update "
            + "sits out before it is asked again (0: none; default: ${DEFAULT-VALUE}).")
    int stragglerRest;

    @CommandLine.Mixin
    RoundOptions roundOptions;

    @Option(names = "--inner-steps", defaultValue = "32", description = "Device SGD steps per round (default: ${DEFAULT-VALUE}).")
    int innerSteps;

    @Option(names = "--inner-lr", defaultValue = "0.02", description = "Device learning rate (default: ${DEFAULT-VALUE}).")
    float innerLr;

    @Option(names = "--batch", defaultValue = "10", description = "Device minibatch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--epsilon", defaultValue = "1.0", description = "Initial Reptile outer step (default: ${DEFAULT-VALUE}).")
    double epsilon;

    @Option(names = "--anneal-rounds", defaultValue = "1000", description = "Rounds over which epsilon anneals to 0 (default: ${DEFAULT-VALUE}).")
    int annealRounds;

    @Option(names = "--norm-bound", defaultValue = "0", description = "Largest accepted delta L2 norm, absolute "
            + "(0: none; the round-relative --norm-ratio applies either way; default: ${DEFAULT-VALUE}).")
    double normBound;

    @Option(names = "--norm-ratio", defaultValue = "10", description = "Refuse an update longer than this many times "
            + "the round's median update (rounds of 3+ updates; default: ${DEFAULT-VALUE}).")
    double normRatio;

    @Option(names = "--weight-ratio", defaultValue = "4", description = "No update weighs more than this many times "
            + "the round's median sample count (default: ${DEFAULT-VALUE}).")
    double weightRatio;

    @Option(names = "--step-ratio", defaultValue = "5", description = "Refuse a new version that moves the model by "
            + "more than this many median update norms; the previous version stays (default: ${DEFAULT-VALUE}).")
    double stepRatio;

    @Option(names = "--max-samples", defaultValue = "10000", description = "Largest sample count a device may claim "
            + "(a gateway: times the devices it sums; default: ${DEFAULT-VALUE}).")
    int maxSamples;

    @Option(names = "--sparql-port", defaultValue = "3030", description = "SPARQL endpoint port of the embedded registry "
            + "(0: free, -1: none; default: ${DEFAULT-VALUE}).")
    int sparqlPort;

    @Option(names = "--sparql-https-port", paramLabel = "PORT", description = "Also serve the SPARQL endpoint over "
            + "HTTPS on this port on every interface, for SPARQL clients on other hosts (0: free). Uses "
            + "--tls-server-cert and --tls-server-key; updates still need the registry's admin password.")
    Integer sparqlHttpsPort;

    @Option(names = "--registry", description = "Remote registry: a SPARQL 1.1 dataset URL (queries at URL/query, updates at "
            + "URL/update) instead of the embedded TDB2 registry in the store; with --registry-update, the query endpoint.")
    String registryUrl;

    @Option(names = "--registry-update", description = "The remote registry's update endpoint, for stores that do not "
            + "follow the dataset convention (GraphDB: --registry http://HOST:7200/repositories/ID --registry-update "
            + "http://HOST:7200/repositories/ID/statements).")
    String registryUpdateUrl;

    @Option(names = "--registry-user", defaultValue = "tinyfed-admin", description = "Update user on the remote registry.")
    String registryUser;

    @Option(names = "--registry-password-env", description = "Environment variable with the remote registry's update password.")
    String registryPasswordEnv;

    @Option(names = "--expire-devices-after", paramLabel = "DURATION", description = "Remove from the registry every "
            + "device offline and not seen for this long, e.g. 30d (checked every tenth of it, at most hourly; a device "
            + "that returns registers again; default: never).")
    String expireDevicesAfter;

    @Option(names = "--no-registry", description = "Keep the device inventory in memory (no registry, no SPARQL endpoint).")
    boolean noRegistry;

    @Option(names = "--require-sensor", split = ",", description = "Observable properties the model needs (e.g. temperature); "
            + "only devices sensing all of them are selected.")
    java.util.List<String> requiredSensors = java.util.List.of();

    @Option(names = "--aggregation", defaultValue = "mean", description = "How deltas combine: mean (sample-weighted), "
            + "trimmed-mean or median (coordinate-wise, robust to a malicious minority; default: ${DEFAULT-VALUE}).")
    String aggregation;

    @Option(names = "--trim", defaultValue = "0.1", description = "Fraction trimmed at each end for trimmed-mean (default: ${DEFAULT-VALUE}).")
    double trim;

    @Option(names = "--clip-norm", defaultValue = "-2", description = "Clip each delta to this L2 norm first (0: off; "
            + "negative: that many times the round's median norm; default: ${DEFAULT-VALUE}).")
    double clipNorm;

    @Option(names = "--quarantine-ratio", defaultValue = "3", description = "Quarantine a device after "
            + "--quarantine-strikes accepted updates longer than this many times the round's median norm (0: off; "
            + "default: ${DEFAULT-VALUE}).")
    double quarantineRatio;

    @Option(names = "--quarantine-strikes", defaultValue = "2", description = "Strikes before quarantine (default: ${DEFAULT-VALUE}).")
    int quarantineStrikes;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of selection and the initial model (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        Logging.apply(logging);
        Listen httpsAt = httpsListener();
        Model initial = modelFile != null ? ModelCodec.decode(Files.readAllBytes(modelFile))
                : Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1), seed);
        Duration timeout;
        try {
            timeout = io.tinyfed.coordinator.rollout.RolloutPlan.duration(roundTimeout);
        } catch (IllegalArgumentException e) {
            throw usage("--round-timeout: " + e.getMessage());
        }
        io.tinyfed.protocol.cli.Cli.choice(spec, "--aggregation", io.tinyfed.coordinator.strategy.RobustAggregation.Rule.class,
                aggregation);
        if (broker != null) {
            io.tinyfed.protocol.cli.Cli.brokerUri(spec, "--broker", broker);
        }
        Coordinator.Builder b = Coordinator.builder().fleet(fleet).store(store).initialModel(initial)
                .rounds(new RoundEngine.Settings(modelId, innerSteps, innerLr, batch, timeout, quorum, minReplies,
                        normBound > 0 ? normBound : Double.POSITIVE_INFINITY, seed))
                .screening(new io.tinyfed.coordinator.strategy.Screening(normRatio, weightRatio, stepRatio))
                .maxSamplesPerDevice(maxSamples).stragglerRest(stragglerRest)
                .uplinkPermille(roundOptions.uplinkPermille(spec.commandLine()))
                .downlinkPermille(roundOptions.downlinkPermille(spec.commandLine()))
                .async(roundOptions.async(spec.commandLine()))
                .personalLayers(roundOptions.personalLayers(spec.commandLine()))
                .strategy(new ReptileStrategy(epsilon, true, annealRounds, Selection.upTo(perRound),
                        io.tinyfed.coordinator.strategy.RobustAggregation.of(aggregation, trim, clipNorm)))
                .brokerPort(brokerPort).credentials(credentials == null ? null : DeviceCredentials.read(credentials))
                .brokerTls(tlsListener())
                .quarantine(quarantineRatio > 0 ? new io.tinyfed.core.Quarantine(quarantineRatio,
                        quarantineStrikes) : null);
        if (broker != null) {
            b.externalBroker(broker, brokerUser, brokerPasswordEnv == null ? null
                    : io.tinyfed.protocol.cli.Cli.environmentSecret(spec, "--broker-password-env", brokerPasswordEnv).toCharArray());
            b.externalBrokerTls(externalTls.filesFor(broker));
        } else if (externalTls.files() != null) {
            throw usage("--tls-ca, --tls-cert and --tls-key are for an external --broker; the embedded broker's TLS "
                    + "listener takes --tls-listen, --tls-server-cert, --tls-server-key and --tls-device-ca");
        }
        b.sparqlPort(sparqlPort).requiredSensors(requiredSensors);
        if (expireDevicesAfter != null) {
            if (noRegistry) {
                throw usage("--expire-devices-after removes devices from the registry: not with --no-registry");
            }
            try {
                java.time.Duration age = io.tinyfed.coordinator.rollout.RolloutPlan.duration(expireDevicesAfter);
                if (age.isNegative() || age.isZero()) {
                    throw new IllegalArgumentException("it must be longer than zero, e.g. 30d");
                }
                b.expireDevicesAfter(age);
            } catch (IllegalArgumentException e) {
                throw usage("--expire-devices-after: " + e.getMessage());
            }
        }
        if (sparqlHttpsPort != null) {
            if (noRegistry || registryUrl != null || sparqlPort < 0) {
                throw usage("--sparql-https-port serves the embedded registry's endpoint: not with --no-registry, "
                        + "--registry or --sparql-port -1");
            }
            requireServerCertificate("--sparql-https-port");
            b.sparqlHttps(sparqlHttpsPort, tlsServerCert, tlsServerKey);
        }
        if (registryUpdateUrl != null && registryUrl == null) {
            throw usage("--registry-update goes with --registry (the query endpoint)");
        }
        if (noRegistry) {
            b.withoutRegistry();
        } else if (registryUrl != null) {
            String secret = registryPasswordEnv == null ? null
                    : io.tinyfed.protocol.cli.Cli.environmentSecret(spec, "--registry-password-env", registryPasswordEnv);
            b.registry(io.tinyfed.registry.Registry.remote(registryUrl, registryUpdateUrl, secret == null ? null : registryUser,
                    secret == null ? null : secret.toCharArray()));
        }
        Coordinator coordinator = started(b);
        HttpApi api;
        HttpApi https;
        try {
            api = listening("--http-port", () -> HttpApi.start(coordinator, "127.0.0.1", httpPort));
            https = httpsAt == null ? null : listening("--https-listen", () -> HttpApi.startHttps(coordinator,
                    httpsAt.address(), httpsAt.port(), tlsServerCert, tlsServerKey));
        } catch (Exception | Error e) {
            coordinator.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (https != null) {
                https.close();
            }
            api.close();
            coordinator.close();
        }, "tinyfed-coordinator-shutdown"));
        if (https != null) {
            System.out.printf("HTTPS API on %s%n", https.url());
        }
        System.out.printf("coordinator of fleet %s: model %s version %d, MQTT %s, HTTP %s (state changes need the "
                + "bearer token in %s), agents trust %s%n", fleet, modelId, coordinator.engine().currentVersion().version(),
                coordinator.brokerUri() + coordinator.brokerTlsUri().map(u -> " and " + u).orElse("")
                        + coordinator.brokerWebSocketUri().map(u -> " and " + u).orElse(""), api.url(), HttpApi.tokenFile(coordinator).toAbsolutePath(),
                coordinator.trustFile().toAbsolutePath());
        coordinator.sparqlUrl().ifPresent(url -> System.out.printf("registry: SPARQL %s (read-only; updates need %s, "
                + "password in %s)%n", url, io.tinyfed.registry.SparqlEndpoint.ADMIN, store.resolve("registry-admin.secret")));
        coordinator.sparqlHttpsPort().ifPresent(port -> System.out.printf("registry: SPARQL over HTTPS on port %d of every "
                + "interface (https://HOST:%d/%s/sparql)%n", port, port, io.tinyfed.registry.SparqlEndpoint.DATASET));
        if (rounds > 0) {
            coordinator.startRun(rounds);
        }
        new CountDownLatch(1).await();
        return 0;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The embedded broker's TLS listener from the {@code --tls-*} flags; null without {@code --tls-listen}. */
    private io.tinyfed.coordinator.broker.EmbeddedBroker.TlsListener tlsListener() {
        if (tlsListen == null) {
            if (wssListen != null) {
                throw usage("--wss-listen shares --tls-listen's address, certificates and device authentication: "
                        + "give --tls-listen too");
            }
            if (tlsDeviceCa != null || ((tlsServerCert != null || tlsServerKey != null) && httpsListen == null
                    && sparqlHttpsPort == null)) {
                throw usage("--tls-server-cert, --tls-server-key and --tls-device-ca configure --tls-listen (and the "
                        + "certificate also --https-listen and --sparql-https-port): give it too");
            }
            return null;
        }
        if (broker != null) {
            throw usage("--tls-listen is a listener of the embedded broker; with --broker, configure TLS on that broker");
        }
        if (tlsServerCert == null || tlsServerKey == null) {
            throw usage("--tls-listen needs the broker's certificate and key: --tls-server-cert PEM --tls-server-key PEM "
                    + "(tinyfed coordinator ca issue --dir CA --name broker --server --host HOST)");
        }
        if (credentials == null && tlsDeviceCa == null) {
            throw usage("--tls-listen opens the broker to other hosts, so devices must authenticate: give --credentials "
                    + "FILE and/or --tls-device-ca PEM");
        }
        Listen at = listen("--tls-listen", tlsListen, "8883");
        String address = at.address();
        int port = at.port();
        var auth = tlsDeviceCa == null ? io.tinyfed.coordinator.broker.EmbeddedBroker.ClientAuth.NONE
                : credentials == null ? io.tinyfed.coordinator.broker.EmbeddedBroker.ClientAuth.REQUIRED
                : io.tinyfed.coordinator.broker.EmbeddedBroker.ClientAuth.OPTIONAL;
        if (wssListen != null && (wssListen < 0 || wssListen > 65535)) {
            throw usage("--wss-listen " + wssListen + ": a port from 0 (free) to 65535");
        }
        return new io.tinyfed.coordinator.broker.EmbeddedBroker.TlsListener(address, port, tlsServerCert, tlsServerKey,
                tlsDeviceCa, auth, wssListen == null ? -1 : wssListen);
    }

    /** An address and port to listen on. */
    private record Listen(String address, int port) {
    }

    /** {@code [ADDRESS:]PORT} of {@code flag}; every interface without an address. */
    private Listen listen(String flag, String text, String examplePort) {
        int colon = text.lastIndexOf(':');
        String address = colon < 0 ? "0.0.0.0" : text.substring(0, colon).replace("[", "").replace("]", "");
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new Listen(address, port);
        } catch (NumberFormatException e) {
            throw usage(flag + " " + text + ": expected [ADDRESS:]PORT, e.g. " + examplePort + " or 192.168.1.10:"
                    + examplePort);
        }
    }

    /** The HTTPS listener of {@code --https-listen}; null without it. */
    private Listen httpsListener() {
        if (httpsListen == null) {
            return null;
        }
        requireServerCertificate("--https-listen");
        return listen("--https-listen", httpsListen, "8443");
    }

    /** {@code flag} serves HTTPS: the server certificate and key must be given and readable. */
    private void requireServerCertificate(String flag) {
        if (tlsServerCert == null || tlsServerKey == null) {
            throw usage(flag + " needs a certificate and key: --tls-server-cert PEM --tls-server-key PEM "
                    + "(tinyfed coordinator ca issue --dir CA --name api --server --host HOST)");
        }
        for (Path f : new Path[] {tlsServerCert, tlsServerKey}) {
            if (!java.nio.file.Files.isReadable(f)) {
                throw usage((f == tlsServerCert ? "--tls-server-cert " : "--tls-server-key ") + f + ": not a readable file");
            }
        }
    }

    /** Starts the coordinator; a listener port that is taken is a usage error naming the flag that changes it. */
    private Coordinator started(Coordinator.Builder b) throws Exception {
        try {
            return b.start();
        } catch (Exception e) {
            java.util.Optional<java.net.BindException> taken = io.tinyfed.protocol.cli.Cli.bindFailure(e);
            if (taken.isEmpty()) {
                throw e;
            }
            String text = taken.get().getMessage() + " " + e.getMessage();
            java.util.Map<String, Integer> ports = new java.util.LinkedHashMap<>();
            ports.put("--broker-port", brokerPort);
            ports.put("--sparql-port", sparqlPort);
            if (sparqlHttpsPort != null) {
                ports.put("--sparql-https-port", sparqlHttpsPort);
            }
            if (wssListen != null) {
                ports.put("--wss-listen", wssListen);
            }
            if (tlsListen != null) {
                ports.put("--tls-listen", listen("--tls-listen", tlsListen, "8883").port());
            }
            for (java.util.Map.Entry<String, Integer> p : ports.entrySet()) {
                if (p.getValue() > 0 && text.matches("(?s).*:" + p.getValue() + "(\\D.*)?")) {
                    throw usage(p.getKey() + " " + p.getValue() + ": the port is in use; choose another with "
                            + p.getKey() + " (0: a free one)");
                }
            }
            throw usage("a port is in use (" + taken.get().getMessage() + ")");
        }
    }

    /** Starts an API listener; a port that is taken is a usage error naming the flag that changes it. */
    private HttpApi listening(String flag, java.util.concurrent.Callable<HttpApi> start) throws Exception {
        try {
            return start.call();
        } catch (RuntimeException e) {
            java.util.Optional<java.net.BindException> taken = io.tinyfed.protocol.cli.Cli.bindFailure(e);
            if (taken.isPresent()) {
                throw usage(flag + ": the port is in use (" + taken.get().getMessage() + "); choose another with " + flag);
            }
            throw e;
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /**
     * {@code tinyfed coordinator credentials --file F --id D [--generate]}: adds a device password (read from the
     * console or stdin), or generates a random 128-bit secret and prints it once.
     */
    @Command(name = "credentials", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Add or replace a device's broker password.")
    static final class Credentials implements Callable<Integer> {
        @Option(names = "--generate", description = "Generate a random 128-bit secret for the device and print it once "
                + "(stored hashed; cheaper to check at login than a typed password, which is stretched 100 times more).")
        boolean generate;

        @Option(names = "--file", required = true, description = "Credentials file (created if missing).")
        Path file;

        @Option(names = "--id", required = true, description = "Device id.")
        String id;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (generate) {
                DeviceCredentials c = Files.exists(file) ? DeviceCredentials.read(file) : DeviceCredentials.empty();
                char[] secret = c.generate(id);
                c.write(file);
                System.out.println(new String(secret));
                System.err.printf("%s: %d devices; give %s the secret above (its agent's --password-file or "
                        + "--password-env; only its hash is stored)%n", file, c.size(), id);
                return 0;
            }
            Console console = System.console();
            char[] password;
            if (console != null) {
                password = console.readPassword("password for %s: ", id);
            } else {
                String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
                password = line == null ? null : line.toCharArray();
            }
            if (password == null || password.length == 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "no password for " + id + ": type it, "
                        + "or give it as the first line of standard input (e.g. from a file: < dev-1.password)");
            }
            DeviceCredentials c = Files.exists(file) ? DeviceCredentials.read(file) : DeviceCredentials.empty();
            c.put(id, password).write(file);
            System.out.printf("%s: %d devices%n", file, c.size());
            return 0;
        }
    }

    /** {@code tinyfed coordinator acl --fleet F}: the Mosquitto ACL an external broker needs for the fleet. */
    @Command(name = "acl", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Print (or write) the Mosquitto acl_file that "
            + "confines each device to its own topics, for running a fleet on an external broker.")
    static final class Acl implements Callable<Integer> {
        @Option(names = "--fleet", defaultValue = "default", description = "Fleet id (default: ${DEFAULT-VALUE}).")
        String fleet;

        @Option(names = "--coordinator-user", defaultValue = "tinyfed-coordinator",
                description = "The coordinator's user name on the broker (default: ${DEFAULT-VALUE}).")
        String coordinatorUser;

        @Option(names = "--out", description = "Write to this file instead of standard output.")
        Path out;

        @Override
        public Integer call() throws Exception {
            String acl = io.tinyfed.coordinator.broker.MosquittoAcl.render(io.tinyfed.protocol.Topics.of(fleet), coordinatorUser);
            if (out == null) {
                System.out.print(acl);
            } else {
                Files.writeString(out, acl);
                System.out.printf("%s: ACL of fleet %s (acl_file %s in mosquitto.conf)%n", out, fleet, out.toAbsolutePath());
            }
            return 0;
        }
    }

    /** The command with TinyFed's error handling ({@link io.tinyfed.protocol.cli.Cli#withErrorHandling}). */
    public static CommandLine commandLine() {
        return io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new CoordinatorMain()));
    }

    /** Runs the command on {@code args} with its configuration from files and {@code environment}. */
    static int execute(CommandLine cli, Map<String, String> environment, String... args) {
        return io.tinyfed.protocol.cli.Cli.execute(cli, args, CoordinatorConfig.from(environment));
    }

    public static void main(String[] args) {
        Logging.configure();
        System.exit(execute(commandLine(), System.getenv(), args));
    }
}
