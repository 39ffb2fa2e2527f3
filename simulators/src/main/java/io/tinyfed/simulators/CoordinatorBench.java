package io.tinyfed.simulators;

import io.tinyfed.simulators.tasks.SineFamily;
import io.tinyfed.simulators.tasks.TaskFamily;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.Logging;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.Reptile;
import io.tinyfed.core.Sample;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.protocol.DeviceState;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.protocol.mqtt.Transport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tinyfed bench coordinator}: how fast the coordinator aggregates updates through the
 * embedded broker (100 and 1,000 simulated devices, each its own MQTT client answering every task
 * at once with a valid 1-40-40-1 delta), what an update costs on the wire in F32 and S16, round
 * latency, and federated Reptile with real agents against the same algorithm run centrally.
 */
@Command(name = "coordinator", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
        description = "Throughput, wire size and round latency of the coordinator; federated vs central Reptile.")
public final class CoordinatorBench implements Callable<Integer> {
    @Option(names = "--quick", description = "Fewer rounds and a shorter learning comparison.")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as metrics JSON.")
    Path json;

    @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--case", paramLabel = "LOAD:BROKER:DEVICES", description = "Run only these aggregation cases, e.g. "
            + "hivemq:embedded:1000 or hivemq:mosquitto:1000 (load paho|hivemq, broker embedded|mosquitto); repeatable; "
            + "skips the wire sizes and the learning comparison.")
    List<String> cases;

    private final List<Map<String, Object>> metrics = new ArrayList<>();

    private void metric(String name, Map<String, Object> tags, double value, String unit) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("model", "mlp-1-40-40-1");
        m.putAll(tags);
        m.put("value", value);
        m.put("unit", unit);
        metrics.add(m);
    }

    /** Where this run's coordinators keep their stores; removed when it ends. */
    private Path work;

    @Override
    public Integer call() throws Exception {
        work = Files.createTempDirectory("tinyfed-bench");
        try {
            return run();
        } finally {
            ExperimentCommand.deleteTree(work);
        }
    }

    private Integer run() throws Exception {
        System.out.printf("TinyFed coordinator benchmark (%s, seed %d, %d cores, %s)%n%n", quick ? "quick" : "full", seed,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        if (cases == null) {
            wireSizes();
        }
        System.out.println("Aggregation (every device answers at once with a valid S16 delta; paho: one Paho client per "
                + "device, open broker;\n  hivemq: one MQTT connection per device on a shared event loop, each with its own "
                + "password and the per-device ACL)");
        System.out.printf("  %-7s %-9s %8s %7s %11s %12s %12s %10s %10s %11s%n", "load", "broker", "devices", "rounds",
                "updates/s", "round p50 ms", "round p95 ms", "load CPU", "KiB/update", "connect s");
        if (cases != null) {
            for (String k : cases) {
                String[] f = k.split(":");
                if (f.length != 3 || !f[2].matches("[0-9]{1,6}")) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "--case " + k
                            + ": expected LOAD:BROKER:DEVICES, e.g. hivemq:embedded:1000");
                }
                Load load = Load.valueOf(f[0].toUpperCase(Locale.ROOT));
                int devices = Integer.parseInt(f[2]);
                throughput(load, Broker.valueOf(f[1].toUpperCase(Locale.ROOT)), devices, rounds(load, devices));
            }
        } else {
            throughput(Load.PAHO, Broker.EMBEDDED, 1000, rounds(Load.PAHO, 1000));
            throughput(Load.HIVEMQ, Broker.EMBEDDED, 1000, rounds(Load.HIVEMQ, 1000));
            throughput(Load.HIVEMQ, Broker.EMBEDDED, 10_000, rounds(Load.HIVEMQ, 10_000));
            if (Mosquitto.installed()) {
                throughput(Load.HIVEMQ, Broker.MOSQUITTO, 1000, rounds(Load.HIVEMQ, 1000));
                throughput(Load.HIVEMQ, Broker.MOSQUITTO, 10_000, rounds(Load.HIVEMQ, 10_000));
            } else {
                System.out.println("  (mosquitto is not installed: its rows are left out)");
            }
        }
        System.out.println("  load CPU: the load generator's share of the CPU every process of the run used during the "
                + "rounds (hivemq: its own\n  process); KiB/update: bytes allocated in this process (coordinator and "
                + "embedded broker) per accepted update;\n  connect s: until every device was eligible; CPU per update: "
                + "by thread (this process), by process (load, mosquitto).");
        System.out.println();
        if (cases == null) {
            inflightHeap(1000);
            federatedVersusCentral();
        }
        if (json != null) {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("metrics", metrics);
            Path parent = json.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), root);
            System.out.println("wrote " + json);
        }
        return 0;
    }

    private void wireSizes() {
        float[] delta = new float[SineFamily.ARCHITECTURE.parameterCount()];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < delta.length; i++) {
            delta[i] = (float) (r.nextGaussian() * 0.01);
        }
        ModelUpdate u = new ModelUpdate(1, "dev-0001", "sine", 1, delta, 10, 1f, 0.5f);
        System.out.printf("Bytes per update on the wire (%d parameters, protobuf payload)%n", delta.length);
        for (NumberFormat f : NumberFormat.values()) {
            int bytes = WireCodec.encode(u, f, 0).length;
            int top = WireCodec.encode(u, f, delta.length / 10).length;
            System.out.printf("  %-4s dense %,6d B   top-10%% sparse %,6d B%n", f, bytes, top);
            metric("update_bytes", Map.of("format", f.name()), bytes, "bytes");
        }
        System.out.println();
    }

    /**
     * What the coordinator holds per update of a round that is still open: a round engine (in memory, no MQTT) with
     * {@code devices} selected devices receives a decoded S16 update from all but one, so the round stays open; the
     * heap after full collections, before and after, divided by the updates held.
     */
    private void inflightHeap(int devices) throws Exception {
        Path store = Files.createTempDirectory(work, "heap");
        List<TrainTask> tasks = new ArrayList<>();
        io.tinyfed.coordinator.round.FleetGateway quiet = new io.tinyfed.coordinator.round.FleetGateway() {
            @Override
            public void publishSnapshot(io.tinyfed.protocol.ModelSnapshot snapshot) {
            }

            @Override
            public void publishDelta(io.tinyfed.protocol.SnapshotDelta delta) {
            }

            @Override
            public void sendTask(String deviceId, TrainTask task) {
                tasks.add(task);
            }

            @Override
            public void sendReject(String deviceId, io.tinyfed.protocol.Reject reject) {
            }
        };
        RoundEngine engine = new RoundEngine(new RoundEngine.Settings("sine", 1, 0.02f, 1, Duration.ofHours(1), 1.0, 1, 1e3,
                seed), new ReptileStrategy(1.0, false, 1, Selection.count(devices)), new io.tinyfed.coordinator.store.ModelStore(
                store), io.tinyfed.coordinator.store.CoordinatorKeys.loadOrCreate(store, "bench"), quiet,
                java.time.Clock.systemUTC(), Model.initialize(SineFamily.ARCHITECTURE, seed));
        for (int d = 0; d < devices; d++) {
            engine.deviceHello(LoadFleet.hello(String.format("dev-%05d", d), "bench"));
        }
        if (engine.startRound().isEmpty()) {
            throw new IllegalStateException("the heap measurement's round did not start");
        }
        TrainTask t = tasks.get(0);
        float[] delta = new float[SineFamily.ARCHITECTURE.parameterCount()];
        Arrays.fill(delta, 1e-4f);
        byte[] payload = WireCodec.encode(new ModelUpdate(t.round(), "dev-00000", "sine", t.modelVersion(), delta, 10, 1f,
                0.5f), NumberFormat.S16, 0);
        long before = heapAfterCollections();
        for (int d = 0; d < devices - 1; d++) {
            ModelUpdate u = WireCodec.decodeUpdate(payload);
            String id = String.format("dev-%05d", d);
            engine.onUpdate(id, new ModelUpdate(u.round(), id, u.modelId(), u.baseVersion(), u.delta(), u.sampleCount(),
                    u.lossBefore(), u.lossAfter()));
        }
        long after = heapAfterCollections();
        if (!engine.roundOpen() || engine.rejectedTotals().values().stream().mapToLong(Long::longValue).sum() > 0) {
            throw new IllegalStateException("the heap measurement's updates were not all held: " + engine.rejectedTotals());
        }
        double perUpdate = (double) (after - before) / (devices - 1);
        System.out.printf(Locale.ROOT, "Coordinator heap per update of an open round (%d updates held, %d parameters, S16 on "
                + "the wire): %,.0f B (its float delta alone: %,d B)%n%n", devices - 1, delta.length, perUpdate,
                4L * delta.length);
        metric("heap_bytes_per_inflight_update", Map.of("devices", devices), perUpdate, "bytes");
    }

    private static long heapAfterCollections() throws InterruptedException {
        java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        for (int k = 0; k < 3; k++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** A load-generating device: its own MQTT identity, answering each task with a valid delta. */
    private static final class LoadDevice {
        private final Transport transport;

        LoadDevice(String broker, Topics topics, String id, float[] delta, ExecutorService pool,
                   io.tinyfed.protocol.SnapshotVerifier verifier) throws Exception {
            transport = new PahoTransport(broker, id, id, "bench".toCharArray());
            String updateTopic = topics.device(id, Topics.DeviceTopic.UPDATE);
            transport.connect(new Transport.Listener() {
                @Override
                public void message(String topic, byte[] payload) {
                    pool.execute(() -> {
                        try {
                            TrainTask t = WireCodec.decodeTask(payload, id, verifier);
                            ModelUpdate u = new ModelUpdate(t.round(), id, t.modelId(), t.modelVersion(), delta, 10, 1f, 0.5f);
                            transport.publish(updateTopic, WireCodec.encode(u, NumberFormat.S16, 0), false);
                        } catch (Exception e) {
                            // the coordinator counts what does not arrive as a straggler
                        }
                    });
                }

                @Override
                public void connected(boolean reconnect) {
                }
            }, null, null);
            transport.subscribe(topics.device(id, Topics.DeviceTopic.TASK));
            transport.publish(topics.device(id, Topics.DeviceTopic.HELLO), WireCodec.encode(LoadFleet.hello(id,
                    topics.fleet())), true);
            transport.publish(topics.device(id, Topics.DeviceTopic.STATE), WireCodec.encode(new DeviceState(id, true)), true);
        }
    }

    /** How the load devices connect: one Paho client each (threads per client), or {@link LoadFleet}'s shared event loop. */
    enum Load {
        PAHO, HIVEMQ
    }

    /** The broker the rounds run through: the coordinator's embedded one, or a Mosquitto started for the run. */
    enum Broker {
        EMBEDDED, MOSQUITTO
    }

    private void throughput(Load load, Broker broker, int devices, int rounds) throws Exception {
        Path store = Files.createTempDirectory(work, "throughput");
        String fleet = "bench" + devices + load.name().toLowerCase(Locale.ROOT) + broker.name().toLowerCase(Locale.ROOT);
        Topics topics = Topics.of(fleet);
        float[] delta = new float[SineFamily.ARCHITECTURE.parameterCount()];
        Arrays.fill(delta, 1e-4f);
        List<String> ids = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
            ids.add(String.format("dev-%05d", d));
        }
        io.tinyfed.coordinator.broker.DeviceCredentials credentials = io.tinyfed.coordinator.broker.DeviceCredentials.empty();
        Map<String, char[]> passwords = new java.util.HashMap<>();
        if (load == Load.HIVEMQ) {
            for (String id : ids) {
                passwords.put(id, credentials.generate(id));
            }
        }
        Mosquitto mosquitto = broker == Broker.MOSQUITTO ? Mosquitto.forFleet(store.resolve("mosquitto"), topics, passwords) : null;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<LoadDevice> paho = new ArrayList<>();
        LoadFleet.Remote fleetLoad = null;
        Coordinator.Builder b = Coordinator.builder().fleet(fleet).store(store)
                .initialModel(Model.initialize(SineFamily.ARCHITECTURE, seed))
                .rounds(new RoundEngine.Settings("sine", 1, 0.02f, 1, Duration.ofSeconds(60), 1.0, 1, 1e3, seed))
                .strategy(new ReptileStrategy(1.0, false, rounds, Selection.count(devices)));
        if (mosquitto != null) {
            b = b.externalBroker(mosquitto.uri(), Mosquitto.COORDINATOR, mosquitto.coordinatorPassword());
        } else if (load == Load.HIVEMQ) {
            b = b.credentials(credentials);
        }
        try (Coordinator c = b.start()) {
            String uri = mosquitto != null ? mosquitto.uri() : c.brokerUri();
            java.net.URI u = java.net.URI.create(uri);
            long connectStart = System.nanoTime();
            if (load == Load.HIVEMQ) {
                fleetLoad = new LoadFleet.Remote(u.getHost(), u.getPort(), topics, ids, passwords, delta.length, store);
            } else {
                io.tinyfed.protocol.SnapshotVerifier verifier = new io.tinyfed.protocol.SnapshotVerifier(
                        io.tinyfed.protocol.TrustedKeys.read(c.trustFile()));
                // connect in parallel: one synchronous MQTT connect per device would take minutes for 1,000
                ExecutorService connector = Executors.newFixedThreadPool(16);
                List<java.util.concurrent.Future<LoadDevice>> pending = new ArrayList<>();
                for (String id : ids) {
                    pending.add(connector.submit(() -> new LoadDevice(uri, topics, id, delta, pool, verifier)));
                }
                try (Progress progress = Progress.start(devices + " devices connecting", devices)) {
                    for (java.util.concurrent.Future<LoadDevice> f : pending) {
                        paho.add(f.get());
                        progress.step();
                    }
                }
                connector.shutdown();
            }
            if (!c.awaitEligible(devices, Duration.ofMinutes(5))) {
                throw new IllegalStateException("only " + c.engine().eligible().size() + " of " + devices + " devices online");
            }
            double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)
                    java.lang.management.ManagementFactory.getThreadMXBean();
            long cpu0 = os.getProcessCpuTime();
            long load0 = fleetLoad == null ? 0 : fleetLoad.cpuNanos();
            long mosquitto0 = mosquitto == null ? 0 : mosquitto.cpuNanos();
            long allocated0 = allocatedBytes(threads);
            Map<Long, Long> threadCpu0 = threadCpu(threads);
            c.startRun(rounds);
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            try (Progress progress = Progress.start(devices + " devices, rounds", rounds)) {
                while (!c.awaitRun(Duration.ofSeconds(1))) {
                    progress.stepTo(c.engine().history().size());
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("rounds did not finish");
                    }
                }
                progress.stepTo(rounds);
            }
            long cpu = os.getProcessCpuTime() - cpu0;
            long loadCpu = fleetLoad == null ? 0 : fleetLoad.cpuNanos() - load0;
            long mosquittoCpu = mosquitto == null ? 0 : mosquitto.cpuNanos() - mosquitto0;
            double loadShare = fleetLoad == null ? Double.NaN : (double) loadCpu / (cpu + loadCpu + mosquittoCpu);
            long allocated = allocatedBytes(threads) - allocated0;
            Map<String, Long> byPart = cpuByPart(threads, threadCpu0);
            List<RoundEngine.RoundSummary> history = c.engine().history();
            double[] latencies = new double[history.size()];
            long accepted = 0;
            double seconds = 0;
            for (int i = 0; i < latencies.length; i++) {
                RoundEngine.RoundSummary s = history.get(i);
                latencies[i] = Duration.between(s.started(), s.ended()).toNanos() / 1e6;
                accepted += s.accepted().size();
                seconds += latencies[i] / 1000;
            }
            Arrays.sort(latencies);
            double p50 = latencies[(int) Math.floor(0.5 * (latencies.length - 1))];
            double p95 = latencies[(int) Math.ceil(0.95 * (latencies.length - 1))];
            double rate = accepted / seconds;
            double perUpdate = (double) allocated / Math.max(1, accepted);
            System.out.printf(Locale.ROOT, "  %-7s %-9s %8d %7d %11.0f %12.1f %12.1f %10s %10.1f %11.1f%n",
                    load.name().toLowerCase(Locale.ROOT), broker.name().toLowerCase(Locale.ROOT), devices, rounds, rate, p50,
                    p95, Double.isNaN(loadShare) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * loadShare),
                    perUpdate / 1024, connectSeconds);
            Map<String, Object> tags = new LinkedHashMap<>();
            tags.put("devices", devices);
            tags.put("load", load.name().toLowerCase(Locale.ROOT));
            tags.put("broker", broker.name().toLowerCase(Locale.ROOT));
            metric("updates_per_s", tags, rate, "updates/s");
            metric("round_latency_ms_p50", tags, p50, "ms");
            metric("round_latency_ms_p95", tags, p95, "ms");
            metric("allocated_bytes_per_update", tags, perUpdate, "bytes");
            metric("connect_s", tags, connectSeconds, "s");
            if (!Double.isNaN(loadShare)) {
                metric("load_generator_cpu_share", tags, loadShare, "fraction");
                byPart.put("load generator (own process)", loadCpu);
            }
            if (mosquitto != null) {
                byPart.put("broker (mosquitto process)", mosquittoCpu);
            }
            long partsTotal = byPart.values().stream().mapToLong(Long::longValue).sum();
            long updates = Math.max(1, accepted);
            StringBuilder parts = new StringBuilder("          CPU per update:");
            byPart.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).forEach(e -> {
                parts.append(String.format(Locale.ROOT, " %s %.0f us (%.0f%%);", e.getKey(), e.getValue() / 1e3 / updates,
                        100.0 * e.getValue() / partsTotal));
                Map<String, Object> t = new LinkedHashMap<>(tags);
                t.put("part", e.getKey());
                metric("cpu_us_per_update", t, e.getValue() / 1e3 / updates, "us");
            });
            System.out.println(parts);
            for (LoadDevice d : paho) {
                d.transport.close(); // before the coordinator stops its broker
            }
            if (fleetLoad != null) {
                fleetLoad.close();
            }
        } finally {
            pool.shutdownNow();
            if (mosquitto != null) {
                mosquitto.close();
            }
        }
    }

    private int rounds(Load load, int devices) {
        if (load == Load.PAHO) {
            return quick ? 3 : 8;
        }
        return devices >= 10_000 ? (quick ? 3 : 8) : (quick ? 5 : 20);
    }

    /** CPU time so far of every live thread, by thread id. */
    private static Map<Long, Long> threadCpu(java.lang.management.ThreadMXBean threads) {
        Map<Long, Long> out = new java.util.HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            out.put(id, Math.max(0, threads.getThreadCpuTime(id)));
        }
        return out;
    }

    /**
     * The CPU this process's threads used since {@code before}, by the part of the system they belong to (named by
     * thread: the broker's, the coordinator's MQTT client, its round engine and publishers, the registry, the JVM).
     */
    private static Map<String, Long> cpuByPart(java.lang.management.ThreadMXBean threads, Map<Long, Long> before) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long used = Math.max(0, threads.getThreadCpuTime(info.getThreadId())) - before.getOrDefault(info.getThreadId(), 0L);
            String n = info.getThreadName();
            String part = n.startsWith("hivemq") || n.startsWith("embedded-hivemq") || n.startsWith("extension-")
                    || n.startsWith("single-writer") ? "broker"
                    : n.startsWith("tinyfed-coordinator-mqtt") || n.startsWith("tinyfed-coordinator-decode")
                    ? "coordinator: decode, validate, aggregate"
                    : n.startsWith("tinyfed-coordinator-publish") ? "coordinator: sign and publish tasks"
                    : n.startsWith("tinyfed-coordinator-rounds") ? "coordinator: rounds"
                    : n.startsWith("tinyfed-registry") ? "registry"
                    : n.startsWith("MQTT") || n.startsWith("Thread-") ? "coordinator's MQTT client (Paho)"
                    : "JVM and other";
            out.merge(part, Math.max(0, used), Long::sum);
        }
        return out;
    }

    /** Bytes allocated so far by every live thread of this process (the JVM's per-thread counters). */
    private static long allocatedBytes(com.sun.management.ThreadMXBean threads) {
        long total = 0;
        for (long n : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            total += Math.max(0, n);
        }
        return total;
    }

    /**
     * The same federated Reptile run twice from the same init: over MQTT with real agents (half S16),
     * and centrally in this process with the same tasks, selection, inner loop and outer step (F32).
     */
    private void federatedVersusCentral() throws Exception {
        int devices = 20;
        int perRound = 10;
        int rounds = quick ? 60 : 200;
        Model init = Model.initialize(SineFamily.ARCHITECTURE, seed);
        List<SineFamily.Task> heldOut = SineFamily.tasks(200, seed + 1000);
        SimulatedFleet fleet = new SimulatedFleet("bench-fed", devices, seed);
        Model federated;
        Path store = Files.createTempDirectory(work, "federated");
        try (Coordinator c = Coordinator.builder().fleet("bench-fed").store(store).initialModel(init)
                .rounds(new RoundEngine.Settings("sine", 32, 0.02f, 10, Duration.ofSeconds(10), 1.0, 1, 1e3, seed))
                .strategy(new ReptileStrategy(1.0, true, rounds, Selection.count(perRound)))
                .credentials(fleet.credentials()).start(); SimulatedFleet agents = fleet) {
            agents.start(c.brokerUri(), c.trustFile());
            if (!c.awaitEligible(devices, Duration.ofSeconds(60))) {
                throw new IllegalStateException("only " + c.engine().eligible().size() + " of " + devices + " devices online");
            }
            c.startRun(rounds);
            c.awaitRun(Duration.ofMinutes(20));
            federated = c.engine().currentModel();
        }
        Model central = CentralReptile.run(SineFamily.FAMILY, init, SineFamily.tasks(devices, seed + 7), rounds, perRound);
        TaskFamily.Protocol p = SineFamily.STANDARD;
        double fed = SineFamily.meanAndInterval(SineFamily.adaptedMse(federated, heldOut, p, seed))[0];
        double cen = SineFamily.meanAndInterval(SineFamily.adaptedMse(central, heldOut, p, seed))[0];
        double rnd = SineFamily.meanAndInterval(SineFamily.adaptedMse(init, heldOut, p, seed))[0];
        System.out.printf(Locale.ROOT, "Federated vs central Reptile (%d devices, %d per round, %d rounds; adapted MSE on "
                + "%d held-out tasks, 10 shots, 32 steps)%n", devices, perRound, rounds, heldOut.size());
        System.out.printf(Locale.ROOT, "  federated over MQTT %.3f   central in-process %.3f   ratio %.3f   random init %.3f%n",
                fed, cen, fed / cen, rnd);
        metric("federated_adapted_mse", Map.of("rounds", rounds), fed, "mse");
        metric("central_adapted_mse", Map.of("rounds", rounds), cen, "mse");
        metric("random_init_adapted_mse", Map.of(), rnd, "mse");
    }

    public static void main(String[] args) {
        Logging.configure();
        Logging.warningsOnly();
        System.exit(io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new CoordinatorBench())).execute(args));
    }
}
