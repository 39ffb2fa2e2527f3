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
import io.tinyfed.protocol.DeviceHello;
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
import java.util.EnumSet;
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

    @Override
    public Integer call() throws Exception {
        System.out.printf("TinyFed coordinator benchmark (%s, seed %d, %d cores, %s)%n%n", quick ? "quick" : "full", seed,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        wireSizes();
        System.out.println("Aggregation through the embedded broker (every device answers at once; open broker, no "
                + "password hashing)");
        System.out.printf("  %8s %8s %14s %14s %14s%n", "devices", "rounds", "updates/s", "round p50 ms", "round p95 ms");
        throughput(100, quick ? 10 : 30);
        throughput(1000, quick ? 3 : 8);
        System.out.println();
        federatedVersusCentral();
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
            transport.publish(topics.device(id, Topics.DeviceTopic.HELLO), WireCodec.encode(new DeviceHello(id,
                    topics.fleet(), 1 << 20, 0, "x86_64", 1000, EnumSet.of(NumberFormat.S16), List.of(), "bench", "",
                    null)), true);
            transport.publish(topics.device(id, Topics.DeviceTopic.STATE), WireCodec.encode(new DeviceState(id, true)), true);
        }
    }

    private void throughput(int devices, int rounds) throws Exception {
        Path store = Files.createTempDirectory("tinyfed-bench");
        String fleet = "bench" + devices;
        Topics topics = Topics.of(fleet);
        float[] delta = new float[SineFamily.ARCHITECTURE.parameterCount()];
        Arrays.fill(delta, 1e-4f);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<LoadDevice> load = new ArrayList<>();
        try (Coordinator c = Coordinator.builder().fleet(fleet).store(store)
                .initialModel(Model.initialize(SineFamily.ARCHITECTURE, seed))
                .rounds(new RoundEngine.Settings("sine", 1, 0.02f, 1, Duration.ofSeconds(60), 1.0, 1, 1e3, seed))
                .strategy(new ReptileStrategy(1.0, false, rounds, Selection.count(devices))).start()) {
            io.tinyfed.protocol.SnapshotVerifier verifier = new io.tinyfed.protocol.SnapshotVerifier(
                    io.tinyfed.protocol.TrustedKeys.read(c.trustFile()));
            // connect in parallel: one synchronous MQTT connect per device would take minutes for 1,000
            ExecutorService connector = Executors.newFixedThreadPool(16);
            List<java.util.concurrent.Future<LoadDevice>> pending = new ArrayList<>();
            for (int d = 0; d < devices; d++) {
                String id = String.format("dev-%04d", d);
                pending.add(connector.submit(() -> new LoadDevice(c.brokerUri(), topics, id, delta, pool, verifier)));
            }
            try (Progress progress = Progress.start(devices + " devices connecting", devices)) {
                for (java.util.concurrent.Future<LoadDevice> f : pending) {
                    load.add(f.get());
                    progress.step();
                }
            }
            connector.shutdown();
            if (!c.awaitEligible(devices, Duration.ofSeconds(60))) {
                throw new IllegalStateException("only " + c.engine().eligible().size() + " of " + devices + " devices online");
            }
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
            System.out.printf(Locale.ROOT, "  %8d %8d %14.0f %14.1f %14.1f%n", devices, rounds, rate, p50, p95);
            metric("updates_per_s", Map.of("devices", devices), rate, "updates/s");
            metric("round_latency_ms_p50", Map.of("devices", devices), p50, "ms");
            metric("round_latency_ms_p95", Map.of("devices", devices), p95, "ms");
            for (LoadDevice d : load) {
                d.transport.close(); // before the coordinator stops its broker
            }
        } finally {
            pool.shutdownNow();
        }
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
        Path store = Files.createTempDirectory("tinyfed-bench-fed");
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
