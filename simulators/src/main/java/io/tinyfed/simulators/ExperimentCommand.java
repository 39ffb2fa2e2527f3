package io.tinyfed.simulators;

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
 * {@code ./tinyfed experiment sine [--quick]}: federated Reptile with S16, F32 and mixed fleets (in-process
 * simulation through the real round engine) against centralised F32 Reptile, joint training (FedAvg with one
 * local step) and the random init; adapted MSE after 1, 8 and 32 steps on held-out tasks with 95% intervals.
 * Writes {@code results/experiments/sine/} (table CSV, plot, {@code summary.json} in the metrics shape).
 */
@Command(name = "experiment", mixinStandardHelpOptions = true, description = "Run an experiment (so far: sine, faults).")
public final class ExperimentCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Experiment: sine or faults")
    String name;

    @Option(names = "--quick", description = "20 devices and 60 rounds instead of 50 and 200.")
    boolean quick;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "results/experiments", description = "Results folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--json", description = "Also copy summary.json here.")
    Path json;

    private static final int[] STEPS = {1, 8, 32};
    private final PrintStream console = System.out;

    @Override
    public Integer call() throws Exception {
        if (!"sine".equals(name) && !"faults".equals(name)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "experiments so far: sine, faults (digits, "
                    + "keywords and presence are issue 5)");
        }
        io.tinyfed.coordinator.Logging.warningsOnly();
        if ("faults".equals(name)) {
            return faults();
        }
        int devices = quick ? 20 : 50;
        int rounds = quick ? 60 : 200;
        int perRound = 10;
        long started = System.nanoTime();
        Model init = Model.initialize(SineFamily.ARCHITECTURE, seed);
        Map<String, Model> models = new LinkedHashMap<>();
        models.put("federated-s16", federated(init, List.of("cortex-m4"), devices, rounds, perRound, 32, false));
        models.put("federated-f32", federated(init, List.of("gateway"), devices, rounds, perRound, 32, false));
        models.put("federated-mixed", federated(init, List.of("cortex-m4", "gateway"), devices, rounds, perRound, 32, false));
        models.put("centralized-f32", CoordinatorBench.centralReptile(init, SineFamily.tasks(devices, seed + 7), rounds, perRound));
        models.put("joint", federated(init, List.of("gateway"), devices, rounds, perRound, 1, true));
        models.put("random", init);

        List<SineFamily.Task> heldOut = SineFamily.tasks(200, seed + 1000);
        Path dir = out.resolve("sine");
        Files.createDirectories(dir);
        List<Map<String, Object>> metrics = new ArrayList<>();
        StringBuilder csv = new StringBuilder("method,steps,adapted_mse,ci95\n");
        console.printf("%nSine: adapted MSE on %d held-out tasks (10 shots, lr 0.02), %d devices, %d rounds of %d, seed %d%n",
                heldOut.size(), devices, rounds, perRound, seed);
        console.printf("  %-18s %18s %18s %18s%n", "method", "1 step", "8 steps", "32 steps");
        XYChart chart = new XYChartBuilder().width(900).height(520).title("Sine: adapted MSE vs adaptation steps")
                .xAxisTitle("adaptation steps").yAxisTitle("adapted MSE (200 held-out tasks)").build();
        Map<String, Double> at32 = new LinkedHashMap<>();
        for (Map.Entry<String, Model> e : models.entrySet()) {
            StringBuilder line = new StringBuilder(String.format("  %-18s", e.getKey()));
            double[] ys = new double[STEPS.length];
            for (int k = 0; k < STEPS.length; k++) {
                SineFamily.Protocol p = new SineFamily.Protocol(10, STEPS[k], 0.02f, 100);
                double[] mi = SineFamily.meanAndInterval(SineFamily.adaptedMse(e.getValue(), heldOut, p, seed));
                ys[k] = mi[0];
                line.append(String.format(Locale.ROOT, " %10.3f +- %5.3f", mi[0], mi[1]));
                csv.append(String.format(Locale.ROOT, "%s,%d,%.6f,%.6f%n", e.getKey(), STEPS[k], mi[0], mi[1]));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", "adapted_mse");
                m.put("method", e.getKey());
                m.put("steps", STEPS[k]);
                m.put("value", mi[0]);
                m.put("ci95", mi[1]);
                metrics.add(m);
            }
            at32.put(e.getKey(), ys[STEPS.length - 1]);
            chart.addSeries(e.getKey(), new double[] {1, 8, 32}, ys);
            console.println(line);
        }
        double ratio = at32.get("federated-s16") / at32.get("centralized-f32");
        console.printf(Locale.ROOT, "%n  federated-s16 / centralized-f32 at 32 steps: %.3f (target: within 15%%, i.e. <= 1.15)%n", ratio);
        console.printf(Locale.ROOT, "  wall time %.1f s%n", (System.nanoTime() - started) / 1e9);
        Files.writeString(dir.resolve("adapted-mse.csv"), csv.toString());
        BitmapEncoder.saveBitmap(chart, dir.resolve("adapted-mse.png").toString(), BitmapEncoder.BitmapFormat.PNG);
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        mapper.writeValue(dir.resolve("summary.json").toFile(), Map.of("metrics", metrics));
        if (json != null) {
            Files.copy(dir.resolve("summary.json"), json, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        console.printf("  files: %s (adapted-mse.csv, adapted-mse.png, summary.json)%n", dir);
        return 0;
    }

    /** The aggregations the faults experiment compares. */
    private static final Map<String, io.tinyfed.coordinator.strategy.RobustAggregation> AGGREGATIONS = new LinkedHashMap<>();

    static {
        AGGREGATIONS.put("mean", io.tinyfed.coordinator.strategy.RobustAggregation.MEAN);
        AGGREGATIONS.put("clip1.5", new io.tinyfed.coordinator.strategy.RobustAggregation(
                io.tinyfed.coordinator.strategy.RobustAggregation.Rule.MEAN, 0, -1.5));
        AGGREGATIONS.put("trimmed+clip2", new io.tinyfed.coordinator.strategy.RobustAggregation(
                io.tinyfed.coordinator.strategy.RobustAggregation.Rule.TRIMMED_MEAN, 0.2, -2.0));
    }

    /**
     * Adapted quality and rounds-to-target under 0/20/50% dropout and 0/10% malicious updates (sign-flipped x5),
     * with the plain mean, with clipping to 1.5x the round's median norm, and with a trimmed mean (0.2) after
     * clipping to 2x.
     */
    private int faults() throws Exception {
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
        StringBuilder csv = new StringBuilder("dropout,malicious,aggregation,adapted_mse,ci95,rounds_to_target,refused\n");
        console.printf("%nFaults: %d devices, %d rounds of %d, sine, adapted MSE (32 steps) on %d held-out tasks, seed %d%n",
                devices, rounds, perRound, heldOut.size(), seed);
        console.printf("  %-8s %-10s %-14s %18s %18s %9s%n", "dropout", "malicious", "aggregation", "adapted MSE",
                "rounds to <= " + target, "refused");
        Map<String, Double> clean = new LinkedHashMap<>();
        for (double dropout : new double[] {0, 0.2, 0.5}) {
            for (double malicious : new double[] {0, 0.1}) {
                for (String aggName : AGGREGATIONS.keySet()) {
                    io.tinyfed.coordinator.strategy.RobustAggregation agg = AGGREGATIONS.get(aggName);
                    InProcessSimulation sim = simulation(init, 32,
                            new ReptileStrategy(1.0, true, rounds, Selection.count(perRound), agg), devices,
                            List.of(HardwareProfile.load("cortex-m4"), HardwareProfile.load("gateway")),
                            new InProcessSimulation.Faults(dropout, malicious, InProcessSimulation.Attack.SIGN_FLIPPED));
                    int reached = -1;
                    for (int k = 1; k <= rounds; k++) {
                        sim.round();
                        if (reached < 0 && k % 10 == 0 && evaluate(sim.engine().currentModel(), heldOut.subList(0, 40))[0]
                                <= target) {
                            reached = k;
                        }
                    }
                    double[] mi = evaluate(sim.engine().currentModel(), heldOut);
                    long refused = sim.engine().rejectedTotals().values().stream().mapToLong(Long::longValue).sum();
                    if (malicious == 0) {
                        clean.put(dropout + "/" + aggName, mi[0]);
                    }
                    console.printf(Locale.ROOT, "  %-8.1f %-10.1f %-14s %18s %18s %9d%n", dropout, malicious, aggName,
                            Double.isInfinite(mi[0]) ? "diverged" : String.format(Locale.ROOT, "%.3f +- %.3f", mi[0], mi[1]),
                            reached < 0 ? "not reached" : String.valueOf(reached), refused);
                    csv.append(String.format(Locale.ROOT, "%.1f,%.1f,%s,%.6f,%.6f,%d,%d%n", dropout, malicious, aggName, mi[0],
                            mi[1], reached, refused));
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", "adapted_mse");
                    m.put("dropout", dropout);
                    m.put("malicious", malicious);
                    m.put("aggregation", aggName);
                    m.put("steps", 32);
                    m.put("value", Double.isInfinite(mi[0]) ? "diverged" : mi[0]);
                    m.put("ci95", mi[1]);
                    m.put("rounds_to_target", reached);
                    metrics.add(m);
                }
            }
        }
        console.printf(Locale.ROOT, "%n  at 10%% malicious, vs the clean plain-mean run (target <= 1.10): %s%n",
                robustRatios(metrics, clean));
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

    /** Mean and 95% interval of the adapted MSE; infinite when the meta-model has diverged (adaptation overflows). */
    private double[] evaluate(Model model, List<SineFamily.Task> tasks) {
        try {
            return SineFamily.meanAndInterval(SineFamily.adaptedMse(model, tasks, SineFamily.Protocol.STANDARD, seed));
        } catch (IllegalStateException diverged) {
            return new double[] {Double.POSITIVE_INFINITY, 0};
        }
    }

    private static String robustRatios(List<Map<String, Object>> metrics, Map<String, Double> clean) {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> m : metrics) {
            if ((double) m.get("malicious") > 0 && !"mean".equals(m.get("aggregation"))) {
                double base = clean.get(m.get("dropout") + "/mean");
                Object v = m.get("value");
                sb.append(v instanceof Double d ? String.format(Locale.ROOT, "%s at dropout %.1f: %.3f; ", m.get("aggregation"),
                        (double) m.get("dropout"), d / base)
                        : String.format(Locale.ROOT, "%s at dropout %.1f: diverged; ", m.get("aggregation"), (double) m.get("dropout")));
            }
        }
        return sb.toString().trim();
    }

    private Model federated(Model init, List<String> profileNames, int devices, int rounds, int perRound, int innerSteps,
                            boolean fedAvg) throws Exception {
        List<HardwareProfile> profiles = new ArrayList<>();
        for (String p : profileNames) {
            profiles.add(HardwareProfile.load(p));
        }
        Strategy strategy = fedAvg ? ReptileStrategy.fedAvg(rounds, Selection.count(perRound))
                : new ReptileStrategy(1.0, true, rounds, Selection.count(perRound));
        InProcessSimulation sim = simulation(init, innerSteps, strategy, devices, profiles, InProcessSimulation.Faults.NONE);
        for (int k = 0; k < rounds; k++) {
            sim.round();
        }
        return sim.engine().currentModel();
    }

    /** A sine fleet as every experiment here runs it: inner lr 0.02, 10 shots per device, seeded by --seed. */
    private InProcessSimulation simulation(Model init, int innerSteps, Strategy strategy, int devices,
                                           List<HardwareProfile> profiles, InProcessSimulation.Faults faults)
            throws Exception {
        return new InProcessSimulation(Files.createTempDirectory("tinyfed-experiment"), init,
                new RoundEngine.Settings("sine", innerSteps, 0.02f, 10, Duration.ofSeconds(10), 1.0, 1, 1e3, seed),
                strategy, devices, profiles, 10, faults, seed);
    }

    public static void main(String[] args) {
        io.tinyfed.coordinator.Logging.configure();
        System.exit(new CommandLine(new ExperimentCommand()).execute(args));
    }
}
