package io.tinyfed.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./tinyfed bench registry}: registers a seeded fleet (Cortex-M0 / Cortex-M4 / gateway mix)
 * and model versions of assorted sizes, one validated write each, then times the two matchmaking
 * queries: on an embedded TDB2 store on disk (default), on Apache Jena Fuseki started as a process
 * of its own ({@code --fuseki}), or on any SPARQL 1.1 store ({@code --endpoint}). Prints a table;
 * {@code --json} writes the figures in TinyFed's metrics shape.
 */
@Command(name = "bench registry", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
        description = "Registry benchmark: bulk registration rate and matchmaking latency.")
public final class RegistryBench implements Callable<Integer> {
    @Option(names = "--quick", description = "2,000 devices and 200 versions instead of 10,000 and 1,000.")
    boolean quick;

    @Option(names = "--devices", description = "Devices to register (default: 10000, quick 2000).")
    Integer devices;

    @Option(names = "--versions", description = "Model versions to register (default: 1000, quick 200).")
    Integer versions;

    @Option(names = "--queries", defaultValue = "200", description = "Timed queries of each kind (default: ${DEFAULT-VALUE}).")
    int queries;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the fleet and the query choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Write the figures as metrics JSON here.")
    Path json;

    @Option(names = "--fuseki", description = "Measure the remote backend: start Apache Jena Fuseki as a process of its "
            + "own (TDB2 in a temporary directory, a free loopback port) and talk SPARQL over HTTP to it.")
    boolean fuseki;

    @Option(names = "--endpoint", description = "Measure the remote backend on this SPARQL 1.1 store instead (a dataset "
            + "URL; with --update-endpoint, the query endpoint). Use a scratch dataset: the benchmark writes its fleet "
            + "into it and leaves it there.")
    String endpoint;

    @Option(names = "--update-endpoint", description = "The store's update endpoint, when it does not follow the dataset "
            + "convention (GraphDB: .../repositories/ID/statements).")
    String updateEndpoint;

    @Option(names = "--user", description = "User for updates on --endpoint.")
    String user;

    @Option(names = "--password-env", description = "Environment variable with the --endpoint update password.")
    String passwordEnv;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static final String[] PROPERTIES = {"temperature", "humidity", "acceleration"};

    @Override
    public Integer call() throws Exception {
        int nDevices = devices != null ? devices : quick ? 2000 : 10_000;
        int nVersions = versions != null ? versions : quick ? 200 : 1000;
        if (fuseki && endpoint != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--fuseki or --endpoint, not both");
        }
        if ((updateEndpoint != null || user != null || passwordEnv != null) && endpoint == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--update-endpoint, --user and --password-env go with --endpoint");
        }
        String password = passwordEnv == null ? null
                : io.tinyfed.protocol.cli.Cli.environmentSecret(spec, "--password-env", passwordEnv);
        Path dir = Files.createTempDirectory("tinyfed-registry-bench");
        io.tinyfed.registry.internal.FusekiProcess server = null;
        String backend;
        String where;
        if (fuseki) {
            server = io.tinyfed.registry.internal.FusekiProcess.start(dir.resolve("fuseki"));
            backend = "fuseki";
            where = "Apache Jena Fuseki " + org.apache.jena.sys.JenaSystem.class.getPackage().getImplementationVersion()
                    + " as its own process (TDB2 on disk), SPARQL over HTTP at " + server.datasetUrl();
        } else if (endpoint != null) {
            backend = "remote";
            where = "SPARQL 1.1 store at " + endpoint;
        } else {
            backend = "embedded";
            where = "embedded TDB2 on disk";
        }
        System.out.printf("TinyFed registry benchmark (%s, seed %d, %d cores, Java %s)%n%n", where, seed,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        List<Map<String, Object>> metrics = new ArrayList<>();
        try (Registry registry = server != null ? Registry.remote(server.datasetUrl(), null, null)
                : endpoint != null ? Registry.remote(endpoint, updateEndpoint, user,
                        password == null ? null : password.toCharArray())
                : Registry.embedded(dir.resolve("tdb2"))) {
            SplittableRandom random = new SplittableRandom(seed);
            List<DeviceDescription> fleet = new ArrayList<>();
            for (int i = 0; i < nDevices; i++) {
                fleet.add(device(i, random));
            }
            // One at a time (a device announcing itself to a quiet coordinator) ...
            int single = Math.min(nDevices, 500);
            long t0 = System.nanoTime();
            for (DeviceDescription d : fleet.subList(0, single)) {
                registry.registerDevice(d);
            }
            double singleRate = single / ((System.nanoTime() - t0) / 1e9);
            // ... and in batches of 500, one transaction each, as the coordinator writes the hellos it has queued.
            long tb = System.nanoTime();
            for (int i = single; i < nDevices; i += 500) {
                registry.registerDevices(fleet.subList(i, Math.min(nDevices, i + 500)));
            }
            double deviceRate = (nDevices - single) / ((System.nanoTime() - tb) / 1e9);

            List<String> versionIris = new ArrayList<>();
            List<ModelVersionDescription> batch = new ArrayList<>();
            long t1 = System.nanoTime();
            for (int v = 0; v < nVersions; v++) {
                ModelVersionDescription mv = version(v, random);
                batch.add(mv);
                versionIris.add(mv.iri());
                if (batch.size() == 100 || v == nVersions - 1) {
                    registry.registerModelVersions(batch);
                    batch.clear();
                }
            }
            double versionRate = nVersions / ((System.nanoTime() - t1) / 1e9);

            // Warm up both queries (JIT, TDB2 caches), then time fresh random choices: first on an unchanged
            // store, then with a write before every query (a device going online or offline: its delta keeps the index).
            for (int i = 0; i < 20; i++) {
                registry.devicesFor(versionIris.get(random.nextInt(nVersions)), Purpose.TRAINING);
                registry.modelsFor(fleet.get(random.nextInt(nDevices)).iri(), Purpose.TRAINING);
            }
            Timing warm = time(registry, fleet, versionIris, random, false);
            Timing cold = time(registry, fleet, versionIris, random, true);
            String config = nDevices + " devices, " + nVersions + " versions, " + backend;
            System.out.printf("  %-44s %12s%n", "registration (SHACL-validated)", "per second");
            System.out.printf("  %-44s %12.0f%n", "devices, one transaction each (first " + single + ")", singleRate);
            System.out.printf("  %-44s %12.0f%n", "devices from hellos, 500 per transaction", deviceRate);
            System.out.printf("  %-44s %12.0f%n%n", "model versions, bulk (100 per transaction)", versionRate);
            System.out.printf("  %-46s %10s %10s %10s %14s%n", "matchmaking (" + queries + " each)", "p50 ms", "p95 ms", "max ms",
                    "mean answers");
            row("devices for a model, store unchanged", warm.devicesFor, warm.devicesAnswers);
            row("models for a device, store unchanged", warm.modelsFor, warm.modelsAnswers);
            row("devices for a model, after a write", cold.devicesFor, cold.devicesAnswers);
            row("models for a device, after a write", cold.modelsFor, cold.modelsAnswers);
            metrics.add(metric("register_devices_per_s", config, deviceRate, "1/s"));
            metrics.add(metric("register_device_single_per_s", config, singleRate, "1/s"));
            metrics.add(metric("register_model_versions_per_s", config, versionRate, "1/s"));
            metrics.add(metric("devices_for_model_ms_p50", config, percentile(warm.devicesFor, 50), "ms"));
            metrics.add(metric("devices_for_model_ms_p95", config, percentile(warm.devicesFor, 95), "ms"));
            metrics.add(metric("models_for_device_ms_p50", config, percentile(warm.modelsFor, 50), "ms"));
            metrics.add(metric("models_for_device_ms_p95", config, percentile(warm.modelsFor, 95), "ms"));
            metrics.add(metric("devices_for_model_after_write_ms_p50", config, percentile(cold.devicesFor, 50), "ms"));
            metrics.add(metric("devices_for_model_after_write_ms_p95", config, percentile(cold.devicesFor, 95), "ms"));
            metrics.add(metric("models_for_device_after_write_ms_p50", config, percentile(cold.modelsFor, 50), "ms"));
            metrics.add(metric("models_for_device_after_write_ms_p95", config, percentile(cold.modelsFor, 95), "ms"));
        } catch (RuntimeException e) {
            if (server != null) {
                System.err.println("Fuseki's log:\n" + server.log());
            }
            throw e;
        } finally {
            if (server != null) {
                server.close();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        if (json != null) {
            Path parent = json.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), Map.of("metrics", metrics));
            System.out.println("\nwrote " + json);
        }
        return 0;
    }

    private record Timing(double[] devicesFor, double[] modelsFor, double devicesAnswers, double modelsAnswers) {
    }

    /** Times both queries {@code queries} times; with {@code writeFirst}, a device's online flag changes before each. */
    private Timing time(Registry registry, List<DeviceDescription> fleet, List<String> versions, SplittableRandom random,
                        boolean writeFirst) {
        double[] devicesFor = new double[queries];
        double[] modelsFor = new double[queries];
        long matchedDevices = 0;
        long matchedModels = 0;
        for (int i = 0; i < queries; i++) {
            String model = versions.get(random.nextInt(versions.size()));
            DeviceDescription touched = fleet.get(random.nextInt(fleet.size()));
            if (writeFirst) {
                registry.setOnline(touched.fleet(), touched.deviceId(), i % 2 == 0, Instant.parse("2026-01-02T00:00:00Z"));
            }
            long s = System.nanoTime();
            matchedDevices += registry.devicesFor(model, Purpose.TRAINING).size();
            devicesFor[i] = (System.nanoTime() - s) / 1e6;
            String device = fleet.get(random.nextInt(fleet.size())).iri();
            if (writeFirst) {
                registry.setOnline(touched.fleet(), touched.deviceId(), i % 2 != 0, Instant.parse("2026-01-02T00:00:01Z"));
            }
            s = System.nanoTime();
            matchedModels += registry.modelsFor(device, Purpose.TRAINING).size();
            modelsFor[i] = (System.nanoTime() - s) / 1e6;
        }
        return new Timing(devicesFor, modelsFor, matchedDevices / (double) queries, matchedModels / (double) queries);
    }

    private static DeviceDescription device(int i, SplittableRandom r) {
        int kind = r.nextInt(10);
        Instant seen = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i);
        List<String> sensors = List.of(PROPERTIES[r.nextInt(PROPERTIES.length)]);
        String id = "dev-" + i;
        if (kind < 4) {
            return new DeviceDescription("bench", id, 16384 + 1024L * r.nextInt(48), 262144, "cortex-m0plus", 48, Set.of("S16"),
                    sensors, "0.1.0", "tinyfed-c 0.1", null, r.nextBoolean(), seen);
        } else if (kind < 9) {
            return new DeviceDescription("bench", id, 65536 + 4096L * r.nextInt(64), 1048576, "cortex-m4", 80, Set.of("S16"),
                    sensors, "0.1.0", "tinyfed-c 0.1", null, r.nextBoolean(), seen);
        }
        return new DeviceDescription("bench", id, 536870912L, 8589934592L, "x86_64", 2000, Set.of("F32", "S16"), List.of(),
                "0.1.0", null, null, r.nextBoolean(), seen);
    }

    private static ModelVersionDescription version(int v, SplittableRandom r) {
        int in = 1 + r.nextInt(64);
        int hidden = 8 + r.nextInt(120);
        int out = 1 + r.nextInt(10);
        Architecture a = Architecture.mlp(Layer.Kind.RELU, in, hidden, hidden, out);
        List<String> required = r.nextInt(3) == 0 ? List.of(PROPERTIES[r.nextInt(PROPERTIES.length)]) : List.of();
        int model = v / 10;
        long number = v % 10 + 1;
        return ModelDescriptions.of("bench-model-" + model, number, number > 1 ? number - 1 : null, a, required, null,
                Instant.parse("2026-01-01T00:00:00Z").plusSeconds(v));
    }

    private static void row(String name, double[] ms, double answers) {
        System.out.printf("  %-46s %10.2f %10.2f %10.2f %14.1f%n", name, percentile(ms, 50), percentile(ms, 95),
                Arrays.stream(ms).max().orElse(0), answers);
    }

    static double percentile(double[] values, double p) {
        double[] s = values.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }

    private static Map<String, Object> metric(String name, String config, double value, String unit) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("model", "registry");
        m.put("config", config);
        m.put("value", value);
        m.put("unit", unit);
        return m;
    }

    public static void main(String[] args) {
        RegistryCommand.configureLogging();
        System.exit(io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new RegistryBench())).execute(args));
    }
}
