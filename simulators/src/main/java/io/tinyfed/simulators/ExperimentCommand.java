package io.tinyfed.simulators;

import io.tinyfed.simulators.tasks.SineFamily;
import io.tinyfed.simulators.tasks.Adaptation;
import io.tinyfed.simulators.tasks.TaskFamilies;
import io.tinyfed.simulators.tasks.TaskFamily;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.coordinator.strategy.Strategy;
import io.tinyfed.core.Model;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./tinyfed experiment NAME [--quick]}. For a task family (sine, digits, fashion, presence): federated Reptile
 * with S16, F32 and mixed fleets (in-process simulation through the real round engine) against centralised F32
 * Reptile, joint training (FedAvg with one local step) and the random init, adapted to new devices' held-out tasks
 * after 1, 8 and 32 steps with 95% intervals (MSE for sine, accuracy for the classification families, which also run
 * the online-learning drift comparison). {@code faults}: dropout and malicious updates with and without robust
 * aggregation, with devices answering the coordinator and behind pre-aggregating gateways. {@code deploy}: a good and a bad rollout over MQTT ({@link DeployExperiment}). Writes {@code results/experiments/NAME/} (CSV, PNG, {@code summary.json} in the metrics shape).
 */
@Command(name = "experiment", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
        description = "Run an experiment: sine, digits, fashion, keywords, presence, faults, deploy, communication or async.")
public final class ExperimentCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--local-samples", description = "Samples each training device holds and adapts on, full batch "
            + "(default: the family's new-device shots, e.g. 10 for sine, 25 for digits, 15 for keywords).")
    Integer localSamples;

    @Parameters(index = "0", description = "Experiment: sine, digits, fashion, keywords, presence, faults, deploy, "
            + "communication or async")
    String name;

    @Option(names = "--quick", description = "20 devices and fewer rounds (sine 60 instead of 200, classification 100 instead of 300).")
    boolean quick;

    @Option(names = "--repeats", defaultValue = "1", paramLabel = "R", description = "faults: run each configuration R "
            + "times with other choices of devices and average (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--dropout", split = ",", paramLabel = "P", defaultValue = "0,0.2,0.5", description = "faults: the "
            + "dropout probabilities to run (default: ${DEFAULT-VALUE}).")
    double[] dropouts;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "results/experiments", description = "Results folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--json", description = "Also copy summary.json here.")
    Path json;

    @Option(names = "--data", description = "digits: a digits CSV (default: the bundled UCI file); fashion: the folder "
            + "with the four IDX files (default: /usr/share/datasets/fashion-mnist); keywords: a Speech Commands folder "
            + "(default: the espeak-ng corpus, synthesised into results/keyword-corpus on first use).")
    Path data;

    private static final int[] STEPS = {1, 8, 32};
    private static final List<String> NAMES = List.of("sine", "digits", "fashion", "keywords", "presence", "faults",
            "deploy", "communication", "async");
    private final PrintStream console = System.out;

    @Override
    public Integer call() throws Exception {
        if (!NAMES.contains(name)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "unknown experiment '" + name + "'; experiments: "
                    + String.join(", ", NAMES));
        }
        System.setProperty("java.awt.headless", "true");
        io.tinyfed.coordinator.Logging.warningsOnly();
        work = Files.createTempDirectory("tinyfed-experiment");
        try {
            return run();
        } finally {
            deleteTree(work); // every run's model store: the results are in --out
        }
    }

    /** Where this invocation's simulations keep their model stores; removed when it ends. */
    private Path work;

    /** The last invocation's work directory (gone once it ended). */
    Path workDirectory() {
        return work;
    }

    /** A new directory under {@link #work} for one simulation's store. */
    private Path runStore() throws java.io.IOException {
        return Files.createTempDirectory(work, "run");
    }

    /** Deletes {@code root} and everything below it. */
    static void deleteTree(Path root) throws java.io.IOException {
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private int run() throws Exception {
        if ("faults".equals(name)) {
            return faults();
        }
        if ("deploy".equals(name)) {
            return deploy();
        }
        if ("communication".equals(name)) {
            return communication();
        }
        if ("async".equals(name)) {
            return async();
        }
        TaskFamily family = TaskFamilies.byName(name, data);
        Path dir = out.resolve(name);
        Files.createDirectories(dir);
        List<Map<String, Object>> metrics = new ArrayList<>();
        long started = System.nanoTime();
        Map<String, Model> models = compare(family, dir, metrics);
        if (family.classification()) {
            new DriftExperiment(family, seed, quick ? 20 : 50, console).run(models.get("federated-s16"), models.get("random"),
                    dir, metrics);
        }
        console.printf(Locale.ROOT, "  wall time %.1f s%n", (System.nanoTime() - started) / 1e9);
        return summary(dir, metrics);
    }

    /**
     * Federated Reptile with S16, F32 and mixed fleets, centralised F32 Reptile, joint training (FedAvg, one local step)
     * and the random init, each adapted to 200 new devices' tasks after 1, 8 and 32 steps.
     *
     * @return the compared initialisations by method name
     */
    private Map<String, Model> compare(TaskFamily family, Path dir, List<Map<String, Object>> metrics) throws Exception {
        int devices = quick ? 20 : 50;
        int rounds = family.classification() ? (quick ? 100 : 300) : (quick ? 60 : 200);
        int perRound = 10;
        Model init = Model.initialize(family.architecture(), seed);
        Map<String, Model> models = new LinkedHashMap<>();
        models.put("federated-s16", federated(family, init, List.of("cortex-m4"), devices, rounds, perRound, false, 0));
        models.put("federated-f32", federated(family, init, List.of("gateway"), devices, rounds, perRound, false, 0));
        models.put("federated-mixed", federated(family, init, List.of("cortex-m4", "gateway"), devices, rounds, perRound,
                false, 0));
        models.put("centralized-f32", CentralReptile.run(family, init, family.trainingTasks(devices, seed + 7), rounds,
                perRound));
        models.put("joint", federated(family, init, List.of("gateway"), devices, rounds, perRound, true, 0));
        models.put("random", init);
        // Partial local reconstruction: each device's head (the last layer) is personal, re-fitted before it adapts;
        // new devices, and the baselines beside it, re-fit the head the same way first.
        Map<String, TaskFamily.Protocol> protocols = new LinkedHashMap<>();
        if (family.classification()) {
            models.put("federated-s16-personal", federated(family, init, List.of("cortex-m4"), devices, rounds, perRound,
                    false, PERSONAL_LAYERS));
            models.put("joint-refit", models.get("joint"));
            models.put("random-refit", init);
            for (String m : List.of("federated-s16-personal", "joint-refit", "random-refit")) {
                protocols.put(m, family.protocol().withPersonalLayers(PERSONAL_LAYERS));
            }
        }

        TaskFamily.Protocol protocol = family.protocol();
        List<TaskFamily.Task> heldOut = family.heldOutTasks(200, seed + 1000);
        String metric = family.classification() ? "adapted_accuracy" : "adapted_mse";
        StringBuilder csv = new StringBuilder("method,steps," + metric + ",ci95\n");
        console.printf("%n%s (%s): %s of new devices on %d held-out tasks (%d shots, lr %s), %d devices holding %d "
                + "samples each, %d rounds of %d, seed %d%n", family.name(), family, family.classification() ? "accuracy"
                : "MSE", heldOut.size(), protocol.shots(), protocol.learningRate(), devices,
                localSamples != null ? localSamples : protocol.shots(), rounds, perRound, seed);
        console.printf("  %-18s %18s %18s %18s%n", "method", "1 step", "8 steps", "32 steps");
        XYChart chart = new XYChartBuilder().width(900).height(520)
                .title(family.name() + ": " + (family.classification() ? "accuracy" : "MSE") + " of new devices vs adaptation steps")
                .xAxisTitle("adaptation steps").yAxisTitle(metric.replace('_', ' ') + " (" + heldOut.size() + " held-out tasks)")
                .build();
        Map<String, Double> atLast = new LinkedHashMap<>();
        for (Map.Entry<String, Model> e : models.entrySet()) {
            StringBuilder line = new StringBuilder(String.format("  %-18s", e.getKey()));
            double[] ys = new double[STEPS.length];
            for (int k = 0; k < STEPS.length; k++) {
                double[] mi = Adaptation.meanAndInterval(Adaptation.scores(family, e.getValue(), heldOut,
                        protocols.getOrDefault(e.getKey(), protocol).withSteps(STEPS[k]), seed));
                ys[k] = mi[0];
                line.append(String.format(Locale.ROOT, " %10.3f +- %5.3f", mi[0], mi[1]));
                csv.append(String.format(Locale.ROOT, "%s,%d,%.6f,%.6f%n", e.getKey(), STEPS[k], mi[0], mi[1]));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", metric);
                m.put("family", family.name());
                m.put("method", e.getKey());
                m.put("steps", STEPS[k]);
                m.put("value", mi[0]);
                m.put("ci95", mi[1]);
                metrics.add(m);
            }
            atLast.put(e.getKey(), ys[STEPS.length - 1]);
            chart.addSeries(e.getKey(), new double[] {1, 8, 32}, ys);
            console.println(line);
        }
        if (family.classification()) {
            double meta = atLast.get("federated-s16");
            console.printf(Locale.ROOT, "%n  at 32 steps, federated-s16 vs random init: %+.3f, vs joint training: %+.3f "
                    + "(target: both > 0)%n", meta - atLast.get("random"), meta - atLast.get("joint"));
            double personal = atLast.get("federated-s16-personal");
            double random = Math.max(atLast.get("random"), atLast.get("random-refit"));
            double joint = Math.max(atLast.get("joint"), atLast.get("joint-refit"));
            console.printf(Locale.ROOT, "  at 32 steps, federated-s16-personal vs the better random init: %+.3f, vs the better "
                    + "joint training: %+.3f (with or without re-fitting the head)%n", personal - random, personal - joint);
        } else {
            console.printf(Locale.ROOT, "%n  federated-s16 / centralized-f32 at 32 steps: %.3f (target: within 15%%, i.e. <= "
                    + "1.15)%n", atLast.get("federated-s16") / atLast.get("centralized-f32"));
        }
        Files.writeString(dir.resolve(metric.replace('_', '-') + ".csv"), csv.toString());
        BitmapEncoder.saveBitmap(chart, dir.resolve(metric.replace('_', '-') + ".png").toString(),
                BitmapEncoder.BitmapFormat.PNG);
        return models;
    }

    /** The aggregations the faults experiment compares. */
    private static final Map<String, io.tinyfed.coordinator.strategy.RobustAggregation> AGGREGATIONS = new LinkedHashMap<>();

    static {
        AGGREGATIONS.put("mean", io.tinyfed.coordinator.strategy.RobustAggregation.MEAN);
        AGGREGATIONS.put("clip1.5", new io.tinyfed.coordinator.strategy.RobustAggregation(
                io.tinyfed.coordinator.strategy.RobustAggregation.Rule.MEAN, 0, -1.5));
        AGGREGATIONS.put("trimmed+clip2", new io.tinyfed.coordinator.strategy.RobustAggregation(
                io.tinyfed.coordinator.strategy.RobustAggregation.Rule.TRIMMED_MEAN, 0.2, -2.0));
        AGGREGATIONS.put("clip1.5+quar", AGGREGATIONS.get("clip1.5"));
        AGGREGATIONS.put("gw-mean", io.tinyfed.coordinator.strategy.RobustAggregation.MEAN);
        AGGREGATIONS.put("gw-clip2+clip1.5", AGGREGATIONS.get("clip1.5"));
        AGGREGATIONS.put("gw-clip1.5+clip1.5", AGGREGATIONS.get("clip1.5"));
        AGGREGATIONS.put("gw-clip1.5+clip1.5+quar", AGGREGATIONS.get("clip1.5"));
    }

    /**
     * {@code gw-*}: the devices sit behind gateways of {@link #DEVICES_PER_GATEWAY} (attackers spread one per gateway), the
     * coordinator selects gateways and each pre-aggregates its devices' updates: {@code gw-mean} plainly,
     * {@code gw-clipR+clip1.5} clipping each device's delta to R x the median norm of its neighbours' before the
     * coordinator clips the gateways' updates to 1.5x; {@code +quar}: each gateway also quarantines the devices behind
     * it as the coordinator does its own ({@link #QUARANTINE_RATIO}, {@link #QUARANTINE_STRIKES}).
     */
    static final int DEVICES_PER_GATEWAY = 5;

    private static io.tinyfed.agent.GatewayAggregator.Robust gatewayRobust(String aggregation) {
        if (aggregation.equals("gw-mean")) {
            return io.tinyfed.agent.GatewayAggregator.Robust.NONE;
        }
        double ratio = Double.parseDouble(aggregation.substring("gw-clip".length(), aggregation.indexOf("+clip")));
        return new io.tinyfed.agent.GatewayAggregator.Robust(ratio,
                io.tinyfed.agent.GatewayAggregator.Robust.DEFAULT.maxSamplesPerDevice());
    }

    /** {@code +quar}: devices with QUARANTINE_STRIKES updates over QUARANTINE_RATIO x the median norm get no more tasks. */
    static final double QUARANTINE_RATIO = 3.0;
    static final int QUARANTINE_STRIKES = 2;

    /**
     * Adapted quality and rounds-to-target under 0/20/50% dropout and 0/10% malicious updates (sign-flipped x5),
     * with the plain mean, with clipping to 1.5x the round's median norm, and with a trimmed mean (0.2) after
     * clipping to 2x.
     */
    private int faults() throws Exception {
        if (repeats < 1 || repeats > 100) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--repeats " + repeats + ": 1 to 100 runs");
        }
        for (double d : dropouts) {
            if (!(d >= 0 && d < 1)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--dropout " + d + ": a probability in "
                        + "[0, 1)");
            }
        }
        int devices = quick ? 30 : 50;
        int rounds = quick ? 60 : 150;
        int perRound = 10;
        long started = System.nanoTime();
        Model init = Model.initialize(SineFamily.ARCHITECTURE, seed);
        List<SineFamily.Task> heldOut = SineFamily.tasks(100, seed + 1000);
        double target = 1.0;
        Path dir = out.resolve("faults");
        Files.createDirectories(dir);
        List<Map<String, Object>> metrics = new ArrayList<>();
        StringBuilder csv = new StringBuilder("dropout,malicious,aggregation,adapted_mse,ci95,median_adapted_mse,"
                + "rounds_to_target,refused,quarantined_attackers,quarantined_honest\n");
        console.printf("%nFaults: %d devices, %d rounds of %d, sine, adapted MSE (32 steps) on %d held-out tasks, seed %d%n",
                devices, rounds, perRound, heldOut.size(), seed);
        console.printf("  %-8s %-10s %-14s %18s %9s %18s %9s %16s%n", "dropout", "malicious", "aggregation", "adapted MSE",
                "median", "rounds to <= " + target, "refused", "quarantined");
        Map<String, Double> clean = new LinkedHashMap<>();
        Map<String, Double> cleanMedian = new LinkedHashMap<>();
        FaultSetup setup = new FaultSetup(init, heldOut, devices, rounds, perRound, target);
        for (double dropout : dropouts) {
            for (double malicious : new double[] {0, 0.1}) {
                for (String aggName : AGGREGATIONS.keySet()) {
                    FaultRun run = faultRuns(setup, dropout, malicious, aggName, 0);
                    double[] mi = run.quality();
                    if (malicious == 0) {
                        clean.put(dropout + "/" + aggName, mi[0]);
                        cleanMedian.put(dropout + "/" + aggName, mi[2]);
                    }
                    int attackers = (int) Math.round(malicious * devices) * repeats;
                    console.printf(Locale.ROOT, "  %-8.1f %-10.1f %-14s %18s %9.3f %18s %9d %16s%n", dropout, malicious,
                            aggName, Double.isInfinite(mi[0]) ? "diverged" : String.format(Locale.ROOT, "%.3f +- %.3f",
                                    mi[0], mi[1]), mi[2], run.reached() < 0 ? "not reached" : String.valueOf(run.reached()),
                            run.refused(), aggName.endsWith("+quar") ? run.caught() + "/" + attackers + " + " + run.honest()
                                    : "-");
                    csv.append(String.format(Locale.ROOT, "%.1f,%.1f,%s,%.6g,%.6g,%.6f,%d,%d,%d,%d%n", dropout, malicious,
                            aggName, mi[0], mi[1], mi[2], run.reached(), run.refused(), run.caught(), run.honest()));
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", "adapted_mse");
                    m.put("dropout", dropout);
                    m.put("malicious", malicious);
                    m.put("aggregation", aggName);
                    m.put("steps", 32);
                    m.put("value", Double.isInfinite(mi[0]) ? "diverged" : mi[0]);
                    m.put("ci95", mi[1]);
                    m.put("median", mi[2]);
                    m.put("rounds_to_target", run.reached());
                    m.put("repeats", repeats);
                    if (aggName.startsWith("gw-")) {
                        m.put("clipped_at_gateways", run.clipped());
                    }
                    if (aggName.endsWith("+quar")) {
                        m.put("quarantined_attackers", run.caught());
                        m.put("quarantined_honest", run.honest());
                    }
                    metrics.add(m);
                }
            }
        }
        console.printf(Locale.ROOT, "%n  at 10%% malicious, vs the clean plain-mean run (target <= 1.10): %s%n",
                robustRatios(metrics, clean, "value"));
        console.printf(Locale.ROOT, "  the same on the median adapted MSE: %s%n", robustRatios(metrics, cleanMedian,
                "median"));
        // How far one clean run moves from another when only the coordinator's choice of devices differs: the
        // resolution of the ratios above.
        StringBuilder floor = new StringBuilder();
        for (double dropout : dropouts) {
            for (String aggName : List.of("mean", "gw-mean")) {
                double[] mi = faultRuns(setup, dropout, 0, aggName, repeats).quality();
                double ratio = mi[0] / clean.get(dropout + "/" + aggName);
                double medianRatio = mi[2] / cleanMedian.get(dropout + "/" + aggName);
                floor.append(String.format(Locale.ROOT, "%s at dropout %.1f: %.3f (median %.3f); ", aggName, dropout, ratio,
                        medianRatio));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", "noise_floor");
                m.put("dropout", dropout);
                m.put("aggregation", aggName);
                m.put("value", ratio);
                m.put("median", medianRatio);
                m.put("repeats", repeats);
                m.put("unit", "ratio");
                metrics.add(m);
            }
        }
        console.printf(Locale.ROOT, "  noise floor, the clean runs again with other choices of devices each round, vs the "
                + "first: %s%n", floor.toString().trim());
        console.printf(Locale.ROOT, "  wall time %.1f s%n", (System.nanoTime() - started) / 1e9);
        Files.writeString(dir.resolve("faults.csv"), csv.toString());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("summary.json").toFile(),
                Map.of("metrics", metrics));
        if (json != null) {
            Files.copy(dir.resolve("summary.json"), json, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        console.printf("  files: %s (faults.csv, summary.json)%n", dir);
        return 0;
    }

    /** What every run of the faults experiment shares. */
    private record FaultSetup(Model init, List<SineFamily.Task> heldOut, int devices, int rounds, int perRound,
                              double target) {
    }

    /**
     * One configuration's runs: adapted MSE, its interval and median (each averaged over the runs), rounds to the target
     * (the first run's), and refused updates, attackers and honest devices quarantined and device deltas clipped at
     * gateways (summed over the runs).
     */
    private record FaultRun(double[] quality, int reached, long refused, long caught, long honest, long clipped) {
    }

    /**
     * {@link #repeats} runs of one configuration on the same fleet, the coordinator choosing devices with selection seeds
     * {@code seed + (firstDraw + r) * 7,919}: averaging over draws narrows what one draw of the selection adds to the
     * ratios between configurations.
     */
    private FaultRun faultRuns(FaultSetup setup, double dropout, double malicious, String aggName, int firstDraw)
            throws Exception {
        double[] quality = new double[3];
        int reached = -1;
        long refused = 0;
        long caught = 0;
        long honest = 0;
        long clipped = 0;
        for (int r = 0; r < repeats; r++) {
            boolean behindGateways = aggName.startsWith("gw-");
            InProcessSimulation sim = simulation(SineFamily.FAMILY, setup.init(), 32, new ReptileStrategy(1.0, true,
                    setup.rounds(), Selection.count(behindGateways ? setup.perRound() / DEVICES_PER_GATEWAY
                    : setup.perRound()), AGGREGATIONS.get(aggName)), setup.devices(),
                    List.of(HardwareProfile.load("cortex-m4"), HardwareProfile.load("gateway")),
                    new InProcessSimulation.Faults(dropout, malicious, InProcessSimulation.Attack.SIGN_FLIPPED),
                    seed + (long) (firstDraw + r) * 7_919);
            if (behindGateways) {
                sim.behindGateways(setup.devices() / DEVICES_PER_GATEWAY, gatewayRobust(aggName), aggName.endsWith("+quar")
                        ? () -> new io.tinyfed.core.Quarantine(QUARANTINE_RATIO, QUARANTINE_STRIKES) : null);
            } else if (aggName.endsWith("+quar")) {
                sim.engine().setQuarantine(new io.tinyfed.core.Quarantine(QUARANTINE_RATIO, QUARANTINE_STRIKES));
            }
            boolean diverged = false;
            for (int k = 1; k <= setup.rounds() && !diverged; k++) {
                try {
                    sim.round();
                } catch (IllegalStateException e) { // a device's training blew up on the meta-model: the run is lost
                    diverged = true;
                    continue;
                }
                if (r == 0 && reached < 0 && k % 10 == 0
                        && evaluate(sim.engine().currentModel(), setup.heldOut().subList(0, 40))[0] <= setup.target()) {
                    reached = k;
                }
            }
            double[] mi = diverged ? new double[] {Double.POSITIVE_INFINITY, 0, Double.POSITIVE_INFINITY}
                    : evaluate(sim.engine().currentModel(), setup.heldOut());
            for (int q = 0; q < 3; q++) {
                quality[q] += mi[q] / repeats;
            }
            refused += sim.engine().rejectedTotals().values().stream().mapToLong(Long::longValue).sum()
                    + sim.refusedAtGateways().values().stream().mapToLong(Long::longValue).sum();
            // Malicious devices are the first ones (InProcessSimulation): sim-00000 .. sim-(k-1).
            int attackers = (int) Math.round(malicious * setup.devices());
            java.util.Set<String> quarantined = behindGateways ? sim.quarantinedAtGateways()
                    : sim.engine().quarantinedDevices();
            long c = quarantined.stream().filter(id -> Integer.parseInt(id.substring(4)) < attackers).count();
            caught += c;
            honest += quarantined.size() - c;
            clipped += sim.clippedAtGateways();
        }
        return new FaultRun(quality, reached, refused, caught, honest, clipped);
    }

    /**
     * Uplink bytes against quality on sine and digits ({@link CommunicationExperiment}): the dense S16 delta and the top
     * P% as int8 with and without error feedback.
     */
    private int communication() throws Exception {
        Path dir = out.resolve("communication");
        Files.createDirectories(dir);
        long started = System.nanoTime();
        List<Map<String, Object>> metrics = new ArrayList<>();
        int devices = quick ? 20 : 50;
        for (TaskFamily family : List.of(SineFamily.FAMILY, TaskFamilies.byName("digits", null))) {
            int rounds = family.classification() ? (quick ? 60 : 300) : (quick ? 60 : 200);
            new CommunicationExperiment((f, init, profiles) -> simulation(f, init, f.protocol().steps(),
                    new ReptileStrategy(1.0, true, rounds, Selection.count(10)), devices, profiles,
                    InProcessSimulation.Faults.NONE), rounds, seed, console).run(family, dir, metrics);
        }
        console.printf(Locale.ROOT, "%n  wall time %.1f s%n", (System.nanoTime() - started) / 1e9);
        return summary(dir, metrics);
    }

    /** Writes {@code summary.json} (and its --json copy) and lists the files written; the exit code. */
    private int summary(Path dir, List<Map<String, Object>> metrics) throws java.io.IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("summary.json").toFile(),
                Map.of("metrics", metrics));
        if (json != null) {
            Files.copy(dir.resolve("summary.json"), json, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        try (var files = Files.list(dir)) {
            console.printf("  files: %s (%s)%n", dir, String.join(", ", files.map(f -> f.getFileName().toString()).sorted()
                    .toList()));
        }
        return 0;
    }

    /** Synchronous against asynchronous buffered Reptile on a slow, often-away fleet ({@link AsyncExperiment}). */
    private int async() throws Exception {
        Path dir = out.resolve("async");
        Files.createDirectories(dir);
        long started = System.nanoTime();
        List<Map<String, Object>> metrics = new ArrayList<>();
        TaskFamily.Protocol p = SineFamily.FAMILY.protocol();
        int rounds = quick ? 60 : 200;
        new AsyncExperiment((strategy, quorum, devices) -> new InProcessSimulation(runStore(), SineFamily.FAMILY, AsyncExperiment.init(seed), new RoundEngine.Settings("sine",
                p.steps(), p.learningRate(), p.shots(), Duration.ofSeconds(30), quorum, 1, 1e3, seed), strategy, devices, AsyncExperiment.profiles(),
                p.shots(), InProcessSimulation.Faults.NONE, seed), quick ? 40 : 100, rounds, seed, console)
                .run(dir, metrics);
        console.printf(Locale.ROOT, "%n  wall time %.1f s%n", (System.nanoTime() - started) / 1e9);
        return summary(dir, metrics);
    }

    private int deploy() throws Exception {
        Path dir = out.resolve("deploy");
        Files.createDirectories(dir);
        long started = System.nanoTime();
        Path store = runStore();
        List<Map<String, Object>> metrics = new DeployExperiment(quick, seed, console).run(store);
        console.printf("%n  %-32s %s%n", "metric", "value");
        for (Map<String, Object> m : metrics) {
            console.printf(Locale.ROOT, "  %-32s %s%n", m.get("name"), m.get("value") instanceof Double d
                    ? String.format(Locale.ROOT, "%.3f", d) : m.get("value"));
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("summary.json").toFile(),
                Map.of("metrics", metrics));
        if (json != null) {
            Files.copy(dir.resolve("summary.json"), json, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        console.printf(Locale.ROOT, "  wall time %.1f s; files: %s (summary.json)%n", (System.nanoTime() - started) / 1e9, dir);
        return 0;
    }

    /**
     * Mean and 95% interval of the adapted MSE, then its median; infinite when the meta-model has diverged (adaptation
     * overflows).
     */
    private double[] evaluate(Model model, List<SineFamily.Task> tasks) {
        try {
            double[] scores = SineFamily.adaptedMse(model, tasks, SineFamily.STANDARD, seed);
            double[] mi = SineFamily.meanAndInterval(scores);
            return new double[] {mi[0], mi[1], new org.apache.commons.math3.stat.descriptive.rank.Median().evaluate(scores)};
        } catch (IllegalStateException diverged) {
            return new double[] {Double.POSITIVE_INFINITY, 0, Double.POSITIVE_INFINITY};
        }
    }

    private static String robustRatios(List<Map<String, Object>> metrics, Map<String, Double> clean, String field) {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> m : metrics) {
            String aggregation = (String) m.get("aggregation");
            if ((double) m.get("malicious") > 0 && !aggregation.endsWith("mean")) {
                double base = clean.get(m.get("dropout") + (aggregation.startsWith("gw-") ? "/gw-mean" : "/mean"));
                Object v = m.get(field);
                if (v instanceof Double d && Double.isInfinite(d)) {
                    v = "diverged";
                }
                sb.append(v instanceof Double d ? String.format(Locale.ROOT, "%s at dropout %.1f: %.3f; ", m.get("aggregation"),
                        (double) m.get("dropout"), d / base)
                        : String.format(Locale.ROOT, "%s at dropout %.1f: diverged; ", m.get("aggregation"), (double) m.get("dropout")));
            }
        }
        return sb.toString().trim();
    }

    /** Parametrised layers kept personal by the {@code -personal} method: the head. */
    static final int PERSONAL_LAYERS = 1;

    private Model federated(TaskFamily family, Model init, List<String> profileNames, int devices, int rounds, int perRound,
                            boolean fedAvg, int personalLayers) throws Exception {
        List<HardwareProfile> profiles = new ArrayList<>();
        for (String p : profileNames) {
            profiles.add(HardwareProfile.load(p));
        }
        Strategy strategy = fedAvg ? ReptileStrategy.fedAvg(rounds, Selection.count(perRound))
                : new ReptileStrategy(1.0, true, rounds, Selection.count(perRound));
        InProcessSimulation sim = simulation(family, init, fedAvg ? 1 : family.protocol().steps(), strategy, devices, profiles,
                InProcessSimulation.Faults.NONE);
        sim.engine().setPersonalLayers(personalLayers);
        String what = (fedAvg ? "joint" : "federated") + " " + String.join("+", profileNames)
                + (personalLayers > 0 ? " personal" : "") + " rounds";
        try (Progress progress = Progress.start(what, rounds)) {
            for (int k = 0; k < rounds; k++) {
                sim.round();
                progress.step();
            }
        }
        return sim.engine().currentModel();
    }

    /**
     * A fleet as every experiment here runs it: each device holds the family's {@code shots} samples of its task (or
     * {@code --local-samples}) and adapts with the family's protocol (learning rate, full batch), seeded by --seed.
     */
    private InProcessSimulation simulation(TaskFamily family, Model init, int innerSteps, Strategy strategy, int devices,
                                           List<HardwareProfile> profiles, InProcessSimulation.Faults faults)
            throws Exception {
        return simulation(family, init, innerSteps, strategy, devices, profiles, faults, seed);
    }

    /** The same fleet (tasks, data, faults from {@link #seed}); the coordinator selects devices with {@code selectionSeed}. */
    private InProcessSimulation simulation(TaskFamily family, Model init, int innerSteps, Strategy strategy, int devices,
                                           List<HardwareProfile> profiles, InProcessSimulation.Faults faults,
                                           long selectionSeed) throws Exception {
        TaskFamily.Protocol p = family.protocol();
        int local = localSamples != null ? localSamples : p.shots();
        return new InProcessSimulation(runStore(), family, init,
                new RoundEngine.Settings(family.name(), innerSteps, p.learningRate(), local, Duration.ofSeconds(10), 1.0, 1,
                        1e3, selectionSeed),
                strategy, devices, profiles, local, faults, seed);
    }

    public static void main(String[] args) {
        io.tinyfed.coordinator.Logging.configure();
        System.exit(io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new ExperimentCommand())).execute(args));
    }
}
