package io.tinyfed.coordinator;

import io.tinyfed.coordinator.broker.DeviceCredentials;
import io.tinyfed.coordinator.broker.EmbeddedBroker;
import io.tinyfed.coordinator.eval.MetaEvaluator;
import io.tinyfed.coordinator.mqtt.FleetLink;
import io.tinyfed.coordinator.registry.RegistryInventory;
import io.tinyfed.coordinator.round.InMemoryInventory;
import io.tinyfed.coordinator.round.Inventory;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.store.CoordinatorKeys;
import io.tinyfed.coordinator.store.ModelStore;
import io.tinyfed.coordinator.strategy.Strategy;
import io.tinyfed.core.Model;
import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.registry.Registry;
import io.tinyfed.registry.SparqlEndpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One coordinator process: model store and signing key, the embedded broker (or an external
 * one), the semantic registry (embedded TDB2 in the store, served over SPARQL, or a remote one)
 * that holds the fleet inventory and model lineage and answers client selection, the MQTT link,
 * the round engine, and the driver that starts rounds, closes them at their deadline and runs
 * meta-evaluation. Build with {@link #builder()}.
 */
public final class Coordinator implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Coordinator.class.getName());
    /** How long close waits for each of its threads to finish its current task. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    /** One meta-evaluation point: the adapted loss of the model version produced by {@code round}. */
    public record Evaluation(int round, long version, double adaptedLoss) {
    }

    private final Topics topics;
    private final String fleet;
    private final EmbeddedBroker broker;
    private final String brokerUri;
    private final ModelStore store;
    private final Path keyDir;
    private final RoundEngine engine;
    private final Registry registry;
    private final boolean ownsRegistry;
    private final SparqlEndpoint sparql;
    private final Inventory inventory;
    private final FleetLink link;
    private final Deployments deployments;
    private final ScheduledExecutorService driver;
    private final io.tinyfed.coordinator.store.StoreLock storeLock;
    private final ScheduledExecutorService messages;
    private final MetaEvaluator evaluator;
    private final int evaluateEvery;
    private final List<Evaluation> evaluations = new ArrayList<>();
    /** The engine, for the inventory's refusal callback (the inventory exists before the engine). */
    private final RoundEngine[] engineRef = new RoundEngine[1];
    private volatile int roundsWanted;
    private int processedRounds;
    private volatile boolean running;

    private Coordinator(Builder b) throws Exception {
        this.storeLock = io.tinyfed.coordinator.store.StoreLock.acquire(b.storeDir);
        // What a failed start has opened, closed in reverse so that it leaves no port, thread or lock behind.
        java.util.Deque<AutoCloseable> opened = new java.util.ArrayDeque<>();
        opened.push(storeLock);
        try {
            this.topics = Topics.of(b.fleet);
            this.fleet = b.fleet;
            this.store = new ModelStore(b.storeDir);
            SnapshotSigner signer = CoordinatorKeys.loadOrCreate(b.keyDir != null ? b.keyDir : b.storeDir, b.keyId);
            this.keyDir = b.keyDir != null ? b.keyDir : b.storeDir;
            String user;
            char[] secret;
            if (b.externalBroker == null) {
                this.broker = EmbeddedBroker.start(b.brokerPort, b.storeDir.resolve("broker"), b.fleet, b.credentials,
                        b.brokerTls);
                opened.push(broker::close);
                this.brokerUri = broker.uri();
                user = EmbeddedBroker.COORDINATOR_USER;
                secret = broker.coordinatorSecret();
            } else {
                this.broker = null;
                this.brokerUri = b.externalBroker;
                user = b.brokerUser;
                secret = b.brokerPassword;
            }
            this.messages = Executors.newSingleThreadScheduledExecutor(daemon("tinyfed-coordinator-mqtt"));
            opened.push(messages::shutdown);
            this.driver = Executors.newSingleThreadScheduledExecutor(daemon("tinyfed-coordinator-rounds"));
            opened.push(driver::shutdown);
            PahoTransport transport = new PahoTransport(brokerUri, "tinyfed-coordinator-" + UUID.randomUUID(), user, secret,
                    b.externalBroker == null ? null : b.externalBrokerTls);
            this.link = new FleetLink(topics, transport, messages, signer);
            opened.push(link::close);
            if (b.registryMode == RegistryMode.NONE) {
                this.registry = null;
                this.ownsRegistry = false;
                this.sparql = null;
                this.inventory = new InMemoryInventory();
            } else {
                this.ownsRegistry = b.registry == null;
                this.registry = b.registry != null ? b.registry : Registry.embedded(b.storeDir.resolve("registry"));
                if (ownsRegistry) {
                    opened.push(registry);
                }
                SparqlEndpoint.Builder endpoint = SparqlEndpoint.builder().registry(registry).port(b.sparqlPort)
                        .adminSecretFile(b.storeDir.resolve("registry-admin.secret"));
                if (b.sparqlHttpsPort >= 0) {
                    io.tinyfed.coordinator.store.PemKeyStore keys = io.tinyfed.coordinator.store.PemKeyStore.write(
                            b.sparqlHttpsCert, b.sparqlHttpsKey, b.storeDir.resolve("sparql-https.p12"));
                    endpoint.https(b.sparqlHttpsPort, keys.file(), keys.password());
                }
                this.sparql = registry.dataset().isPresent() && b.sparqlPort >= 0 ? endpoint.start() : null;
                if (sparql != null) {
                    opened.push(sparql);
                }
                RoundEngine[] self = engineRef;
                RegistryInventory registryInventory = new RegistryInventory(registry, b.fleet, b.requiredSensors,
                        (device, reason) -> self[0].descriptionRefused(device, reason));
                registryInventory.expireDevicesAfter(b.expireDevicesAfter);
                this.inventory = registryInventory;
                opened.push(registryInventory);
            }
            this.engine = new RoundEngine(b.settings, b.strategy, store, signer, link, Clock.systemUTC(), b.initialModel, inventory);
            verifyStoredVersion();
            engine.setQuarantine(b.quarantine);
            engine.setScreening(b.screening);
            engine.setMaxSamplesPerDevice(b.maxSamplesPerDevice);
            engine.setStragglerRest(b.stragglerRest);
            engine.setUplinkPermille(b.uplinkPermille);
            engine.setDownlinkPermille(b.downlinkPermille);
            engine.setAsync(b.async);
            try {
                engine.setPersonalLayers(b.personalLayers);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--personal-layers: " + e.getMessage(), e);
            }
            engineRef[0] = engine;
            this.evaluator = b.evaluator;
            this.evaluateEvery = b.evaluateEvery;
            this.deployments = new Deployments(b.fleet, engine, store, link, new io.tinyfed.coordinator.store.RolloutStore(b.storeDir),
                    registry, this::flushInventoryQuietly, b.requiredSensors, Clock.systemUTC());
            link.setDeploymentListener(new FleetLink.DeploymentListener() {
                @Override
                public void status(io.tinyfed.protocol.DeploymentStatus status) {
                    deployments.onStatus(status);
                }

                @Override
                public void online(String deviceId) {
                    deployments.onDeviceOnline(deviceId);
                }
            });
            link.connect(engine);
            this.runFile = b.storeDir.resolve("run.properties");
            int left = roundsLeftOnDisk();
            if (left > 0) {
                LOG.log(System.Logger.Level.INFO, "resuming the run the previous process did not finish: {0} rounds left",
                        left);
                startRun(left);
            }
            driver.scheduleWithFixedDelay(this::drive, b.tick.toMillis(), b.tick.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception | Error e) {
            for (AutoCloseable c : opened) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    // ------------------------------------------------------------------ the run's intent, on disk

    private final java.nio.file.Path runFile;
    private int savedLeft = -1;

    /** Rounds the last run still wanted when its process ended; 0 when none was unfinished. */
    private int roundsLeftOnDisk() {
        if (!java.nio.file.Files.exists(runFile)) {
            return 0;
        }
        try (java.io.Reader r = java.nio.file.Files.newBufferedReader(runFile)) {
            java.util.Properties p = new java.util.Properties();
            p.load(r);
            return Math.max(0, Integer.parseInt(p.getProperty("rounds.left", "0").trim()));
        } catch (IOException | NumberFormatException e) {
            LOG.log(System.Logger.Level.WARNING, "{0} is unreadable ({1}); no run is resumed", runFile, e.getMessage());
            return 0;
        }
    }

    /** Keeps how many rounds the run still wants (atomically replaced); removes the file once none are. */
    private synchronized void saveRoundsLeft(int left) {
        if (left == savedLeft) {
            return;
        }
        try {
            if (left <= 0) {
                java.nio.file.Files.deleteIfExists(runFile);
            } else {
                java.nio.file.Path tmp = runFile.resolveSibling(runFile.getFileName() + ".tmp");
                java.nio.file.Files.writeString(tmp, "# rounds the current run still wants; a restart resumes them\n"
                        + "rounds.left=" + left + "\n");
                java.nio.file.Files.move(tmp, runFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            savedLeft = left;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "run state not saved in {0}: {1}", runFile, e.getMessage());
        }
    }

    /**
     * Refuses to start on a version that devices would refuse: a store whose latest version does not
     * verify against this coordinator's own trust file would publish it, every agent would drop it, and
     * every round would fail without a word in the coordinator's log.
     */
    private void verifyStoredVersion() throws IOException {
        ModelStore.Version v = engine.currentVersion();
        try {
            store.verifiedSnapshot(v, trustFile());
        } catch (io.tinyfed.protocol.ProtocolException e) {
            throw new IllegalStateException("stored version " + v.version() + " of " + v.modelId() + " in " + store.directory()
                    + " does not verify against " + trustFile() + " (" + e.getMessage() + "): restore the store or its keys "
                    + "from a backup; devices would refuse it", e);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    public static Builder builder() {
        return new Builder();
    }

    private void flushInventoryQuietly() {
        try {
            flushRegistry(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void drive() {
        try {
            engine.onTick();
            deployments.onTick();
            // Rounds close on the MQTT thread (quorum) or here (deadline): catch up on all of them.
            if (processedRounds < engine.roundsClosed()) {
                for (RoundEngine.RoundSummary s : engine.historyFrom(processedRounds)) {
                    afterRound(s);
                    processedRounds++;
                }
            }
            if (running) {
                saveRoundsLeft(roundsWanted - engine.roundsClosed());
            }
            // Asynchronous rounds start every tick too: that refreshes who is eligible and fills free training slots.
            if (running && engine.roundsClosed() < roundsWanted && (!engine.roundOpen() || engine.async().isPresent())) {
                engine.startRound();
            }
        } catch (RuntimeException | LinkageError e) {
            // Caught so the next tick runs: a scheduled task that throws is never run again, and a coordinator whose
            // driver died would sit silently with its run unfinished (a class failing to load counts too).
            LOG.log(System.Logger.Level.ERROR, "round driver failed; the next tick tries again", e);
        }
    }

    private void afterRound(RoundEngine.RoundSummary summary) {
        if (evaluator == null || summary.newVersion() < 0 || summary.round() % evaluateEvery != 0) {
            return;
        }
        double loss = evaluator.adaptedLoss(engine.currentModel());
        synchronized (evaluations) {
            evaluations.add(new Evaluation(summary.round(), summary.newVersion(), loss));
        }
        try {
            engine.recordMetaEvaluation(summary.newVersion(), loss);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "meta-evaluation not stored: {0}", e.getMessage());
        }
    }

    /** Runs rounds until {@code rounds} rounds (counted in this process) have closed. */
    public void startRun(int rounds) {
        roundsWanted = rounds;
        running = true;
        saveRoundsLeft(rounds - engine.roundsClosed());
    }

    /** Stops the run: no round starts after the open one, and a restart does not resume it. */
    public void stopRun() {
        running = false;
        saveRoundsLeft(0);
    }

    /** Waits until {@code devices} devices are eligible or {@code timeout} passes; true if they are. */
    public boolean awaitEligible(int devices, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (engine.eligible().size() < devices) {
            if (System.nanoTime() >= end) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Waits until the run's rounds have closed or {@code timeout} passes; true if they did. */
    public boolean awaitRun(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (engine.roundsClosed() >= roundsWanted && !engine.roundOpen()) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Removes this fleet's retained messages from the broker (model and every known device). */
    public void clearRetained() {
        link.clearRetained(engine.modelId(), engine.devices().keySet());
    }

    public String fleet() {
        return fleet;
    }

    public boolean running() {
        return running;
    }

    /** Total rounds (counted in this process) the current run aims for. */
    public int roundsWanted() {
        return roundsWanted;
    }

    public RoundEngine engine() {
        return engine;
    }

    public FleetLink link() {
        return link;
    }

    /** Rollouts of model versions to the fleet. */
    public Deployments deployments() {
        return deployments;
    }

    public ModelStore store() {
        return store;
    }

    /** The broker URI this coordinator's own client uses (the embedded broker's loopback listener). */
    public String brokerUri() {
        return brokerUri;
    }

    /**
     * Whether the coordinator can hear its fleet: its MQTT client is connected, and the messages it
     * received are being handled ({@code backlog}: received, not yet handled).
     */
    public record Receiving(boolean connected, int backlog) {
        /** More unhandled messages than this and the coordinator is not keeping up with its fleet. */
        public static final int MAX_BACKLOG = 100_000;

        public boolean healthy() {
            return connected && backlog <= MAX_BACKLOG;
        }
    }

    public Receiving receiving() {
        int backlog = messages instanceof java.util.concurrent.ThreadPoolExecutor pool ? pool.getQueue().size() : 0;
        return new Receiving(link.connected(), backlog);
    }

    /** The embedded broker; empty on an external broker. */
    public Optional<EmbeddedBroker> broker() {
        return Optional.ofNullable(broker);
    }

    /** The embedded broker's TLS listener as a client on this host dials it; empty without one. */
    public Optional<String> brokerTlsUri() {
        return broker == null ? Optional.empty() : broker.tlsUri();
    }

    /** The embedded broker's secure WebSocket listener as a client on this host dials it; empty without one. */
    public Optional<String> brokerWebSocketUri() {
        return broker == null ? Optional.empty() : broker.webSocketUri();
    }

    /** The semantic registry; empty when the coordinator runs without one. */
    public Optional<Registry> registry() {
        return Optional.ofNullable(registry);
    }

    /** The SPARQL query URL of the embedded registry's endpoint; empty when none is served. */
    public Optional<String> sparqlUrl() {
        return sparql == null ? Optional.empty() : Optional.of(sparql.queryUrl());
    }

    /** The HTTPS port of the embedded registry's SPARQL endpoint, when it serves HTTPS. */
    public java.util.OptionalInt sparqlHttpsPort() {
        return sparql == null ? java.util.OptionalInt.empty() : sparql.httpsPort();
    }

    /** Waits until the registry holds everything the engine told it so far (no-op without a registry). */
    public boolean flushRegistry(Duration timeout) throws InterruptedException {
        return !(inventory instanceof RegistryInventory r) || r.flush(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until the registry holds every deployment transition so far, and the inventory they refer to. */
    public boolean flushDeployments(Duration timeout) throws InterruptedException {
        return deployments.flush(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The file agents pass to {@code --trust}. */
    public Path trustFile() {
        return CoordinatorKeys.trustFile(keyDir);
    }

    /** The embedded broker's coordinator secret, for a second coordinator on the same broker. */
    public char[] brokerSecret() {
        return broker == null ? null : broker.coordinatorSecret();
    }

    public List<Evaluation> evaluations() {
        synchronized (evaluations) {
            return List.copyOf(evaluations);
        }
    }

    /**
     * Shuts down in dependency order: stop intake (no new rounds, MQTT disconnected), let the round
     * driver and the message thread finish what they are doing, drain the registry writer, stop the
     * SPARQL endpoint, then close the registry and the broker. No thread is interrupted on the way:
     * an interrupt inside TDB2's file I/O closes the store's channels and leaves it unusable until
     * it is reopened, so every step waits for its threads instead.
     */
    @Override
    public void close() {
        running = false;
        driver.shutdown();
        awaitQuietly(driver, "round driver");
        link.close();
        messages.shutdown();
        awaitQuietly(messages, "message handler");
        if (deployments != null) {
            deployments.close();
        }
        inventory.close();
        if (sparql != null) {
            sparql.close();
        }
        if (ownsRegistry) {
            registry.close();
        }
        if (broker != null) {
            broker.close();
        }
        try {
            storeLock.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "releasing the store lock: {0}", e.getMessage());
        }
    }

    /** Waits for an executor's running task; past the bound it is logged and left to finish on its own. */
    private static void awaitQuietly(java.util.concurrent.ExecutorService executor, String what) {
        try {
            if (!executor.awaitTermination(CLOSE_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "{0} still busy after {1} s; closing without it", what,
                        CLOSE_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private enum RegistryMode { EMBEDDED, NONE }

    /** Configuration of a coordinator; every setting has a working default but the model and store. */
    public static final class Builder {
        private String fleet = "default";
        private String keyId = "coordinator";
        private Path storeDir;
        private Path keyDir;
        private Model initialModel;
        private RoundEngine.Settings settings;
        private Strategy strategy;
        private String externalBroker;
        private String brokerUser;
        private char[] brokerPassword;
        private io.tinyfed.protocol.mqtt.TlsFiles externalBrokerTls;
        private EmbeddedBroker.TlsListener brokerTls;
        private int brokerPort;
        private DeviceCredentials credentials;
        private MetaEvaluator evaluator;
        private int evaluateEvery = 10;
        private Duration tick = Duration.ofMillis(25);
        private io.tinyfed.core.Quarantine quarantine;
        private io.tinyfed.coordinator.strategy.Screening screening = io.tinyfed.coordinator.strategy.Screening.DEFAULT;
        private int stragglerRest;
        private int uplinkPermille;
        private int downlinkPermille;
        private RoundEngine.AsyncSettings async;
        private int personalLayers;
        private int maxSamplesPerDevice = io.tinyfed.coordinator.round.UpdateValidator.DEFAULT_MAX_SAMPLES;
        private RegistryMode registryMode = RegistryMode.EMBEDDED;
        private Registry registry;
        private int sparqlPort;
        private int sparqlHttpsPort = -1;
        private Path sparqlHttpsCert;
        private Path sparqlHttpsKey;
        private List<String> requiredSensors = List.of();
        private java.time.Duration expireDevicesAfter;

        public Builder fleet(String v) {
            fleet = v;
            return this;
        }

        public Builder keyId(String v) {
            keyId = v;
            return this;
        }

        public Builder store(Path v) {
            storeDir = v;
            return this;
        }

        /**
         * Where the signing key lives (default: the store). Coordinators of one fleet share a key,
         * since devices trust a fixed set of keys.
         */
        public Builder keys(Path v) {
            keyDir = v;
            return this;
        }

        /** The model to start from when the store holds none (F32). */
        public Builder initialModel(Model v) {
            initialModel = v;
            return this;
        }

        public Builder rounds(RoundEngine.Settings v) {
            settings = v;
            return this;
        }

        public Builder strategy(Strategy v) {
            strategy = v;
            return this;
        }

        /** Use an existing MQTT 5 broker instead of the embedded one. */
        public Builder externalBroker(String uri, String user, char[] password) {
            externalBroker = uri;
            brokerUser = user;
            brokerPassword = password;
            return this;
        }

        /** TLS files for the external broker ({@code ssl://} URIs); null: plain TCP or the JVM's trust store. */
        public Builder externalBrokerTls(io.tinyfed.protocol.mqtt.TlsFiles v) {
            externalBrokerTls = v;
            return this;
        }

        /** A TLS listener on the embedded broker, for devices on other hosts (null: none). */
        public Builder brokerTls(EmbeddedBroker.TlsListener v) {
            brokerTls = v;
            return this;
        }

        /** Embedded broker port on 127.0.0.1 (0: a free port). */
        public Builder brokerPort(int v) {
            brokerPort = v;
            return this;
        }

        /** Device credentials for the embedded broker (null: open broker, ACL still enforced). */
        public Builder credentials(DeviceCredentials v) {
            credentials = v;
            return this;
        }

        public Builder metaEvaluation(MetaEvaluator v, int everyRounds) {
            evaluator = v;
            evaluateEvery = everyRounds;
            return this;
        }

        public Builder tick(Duration v) {
            tick = v;
            return this;
        }

        /**
         * Use this registry (embedded or remote) instead of the default embedded one in the store's
         * {@code registry/} directory. The caller keeps ownership: the coordinator does not close it.
         */
        public Builder registry(Registry v) {
            registry = v;
            registryMode = RegistryMode.EMBEDDED;
            return this;
        }

        /** Keep the inventory in memory: no registry, no SPARQL endpoint (tests, benchmarks of the bare engine). */
        public Builder withoutRegistry() {
            registryMode = RegistryMode.NONE;
            registry = null;
            return this;
        }

        /** Port of the embedded registry's SPARQL endpoint on 127.0.0.1 (0: a free port, default; -1: none). */
        public Builder sparqlPort(int v) {
            sparqlPort = v;
            return this;
        }

        /**
         * Also serve the embedded registry's SPARQL endpoint over HTTPS on {@code port} (0: a free one) on every
         * interface, for SPARQL clients on other hosts, with the server certificate chain and PKCS#8 key in PEM.
         */
        public Builder sparqlHttps(int port, Path certificate, Path key) {
            sparqlHttpsPort = port;
            sparqlHttpsCert = certificate;
            sparqlHttpsKey = key;
            return this;
        }

        /** Quarantine devices whose updates keep standing out (null: none, the default). */
        public Builder quarantine(io.tinyfed.core.Quarantine v) {
            quarantine = v;
            return this;
        }

        /** How updates are screened against their round (default {@link io.tinyfed.coordinator.strategy.Screening#DEFAULT}). */
        public Builder screening(io.tinyfed.coordinator.strategy.Screening v) {
            screening = java.util.Objects.requireNonNull(v, "screening");
            return this;
        }

        /** Rounds a straggler sits out (default 0: none; {@link RoundEngine#setStragglerRest}). */
        public Builder stragglerRest(int v) {
            stragglerRest = v;
            return this;
        }

        /** Per mille of its delta's values a device sends (default 0: all, uncompressed; {@link RoundEngine#setUplinkPermille}). */
        public Builder uplinkPermille(int v) {
            uplinkPermille = v;
            return this;
        }

        /**
         * Per mille of each new version's change sent as a delta to the devices holding the version before (default 0:
         * versions go out whole only; {@link RoundEngine#setDownlinkPermille}).
         */
        public Builder downlinkPermille(int v) {
            downlinkPermille = v;
            return this;
        }

        /** Personal layers, re-fitted on devices and never federated (default 0; {@link RoundEngine#setPersonalLayers}). */
        public Builder personalLayers(int v) {
            personalLayers = v;
            return this;
        }

        /** Asynchronous buffered rounds (default null: synchronous; {@link RoundEngine.AsyncSettings}). */
        public Builder async(RoundEngine.AsyncSettings v) {
            async = v;
            return this;
        }

        /** The largest sample count one device may claim for its update (default 10,000). */
        public Builder maxSamplesPerDevice(int v) {
            maxSamplesPerDevice = v;
            return this;
        }

        /**
         * Removes from the registry the devices offline and not seen for {@code v} (null, the default: never), as
         * {@code tinyfed registry remove --not-seen-for} does; without a registry there is nothing to expire.
         */
        public Builder expireDevicesAfter(java.time.Duration v) {
            expireDevicesAfter = v;
            return this;
        }

        /** Observable properties the model needs: only devices sensing all of them are selected. */
        public Builder requiredSensors(List<String> v) {
            requiredSensors = List.copyOf(v);
            return this;
        }

        public Coordinator start() throws Exception {
            if (storeDir == null || initialModel == null || settings == null || strategy == null) {
                throw new IllegalStateException("store, initial model, round settings and strategy are required");
            }
            return new Coordinator(this);
        }
    }
}
