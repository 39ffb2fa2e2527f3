package io.tinyfed.simulators;

import io.tinyfed.simulators.tasks.SineFamily;
import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.RobustAggregation;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./tinyfed simulate}: a simulated fleet learning the sine family by federated Reptile through the
 * coordinator's real round engine, with a hardware mix and faults, in process (fast, deterministic for a
 * seed). Writes per-round CSV and a plot, prints a summary table.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, description = "Simulate a fleet learning by federated Reptile.")
public final class SimulateCommand implements Callable<Integer> {
    @Option(names = "--family", defaultValue = "sine", description = "Task family (default: ${DEFAULT-VALUE}; more in issue 5).")
    String family;

    @Option(names = "--transport", defaultValue = "inproc", description = "inproc (the MQTT fleet is ./tinyfed demo).")
    String transport;

    @Option(names = "--devices", defaultValue = "100", description = "Simulated devices (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--rounds", defaultValue = "200", description = "Rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--per-round", defaultValue = "10", description = "Devices asked per round (default: ${DEFAULT-VALUE}).")
    int perRound;

    @Option(names = "--profiles", defaultValue = "cortex-m4,gateway", split = ",",
            description = "Hardware profiles devices cycle through: built-in names or .properties files (default: ${DEFAULT-VALUE}).")
    List<String> profiles;

    @Option(names = "--shots", defaultValue = "10", description = "Local samples per device (default: ${DEFAULT-VALUE}).")
    int shots;

    @Option(names = "--inner-steps", defaultValue = "32", description = "Device SGD steps per round (default: ${DEFAULT-VALUE}).")
    int innerSteps;

    @Option(names = "--lr", defaultValue = "0.02", description = "Device learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--dropout", defaultValue = "0", description = "Probability a selected device does not answer.")
    double dropout;

    @Option(names = "--malicious", defaultValue = "0", description = "Fraction of malicious devices.")
    double malicious;

    @Option(names = "--attack", defaultValue = "scaled", description = "nan, scaled (x20) or sign-flipped (x-5).")
    String attack;

    @Option(names = "--aggregation", defaultValue = "mean", description = "mean, trimmed-mean or median.")
    String aggregation;

    @Option(names = "--trim", defaultValue = "0.1", description = "Trim fraction for trimmed-mean.")
    double trim;

    @Option(names = "--clip-norm", defaultValue = "0", description = "Delta clipping (0 off, negative: x median norm).")
    double clipNorm;

    @Option(names = "--eval-every", defaultValue = "20", description = "Meta-evaluation period in rounds (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--out", defaultValue = "results/simulate", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;

    private final PrintStream console = System.out;

    /** One row of the per-round CSV. */
    public record Row(int round, int selected, int accepted, int rejected, int stragglers, double lossBefore,
                      double lossAfter, double adaptedMse) {
    }

    @Override
    public Integer call() throws Exception {
        if (!"sine".equals(family) || !"inproc".equals(transport)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "this version simulates --family sine over "
                    + "--transport inproc (the MQTT fleet runs in ./tinyfed demo)");
        }
        io.tinyfed.coordinator.Logging.warningsOnly();
        long started = System.nanoTime();
        List<Row> rows = run();
        Files.createDirectories(out);
        StringBuilder csv = new StringBuilder("round,selected,accepted,rejected,stragglers,loss_before,loss_after,adapted_mse\n");
        for (Row r : rows) {
            csv.append(String.format(Locale.ROOT, "%d,%d,%d,%d,%d,%.6f,%.6f,%s%n", r.round(), r.selected(), r.accepted(),
                    r.rejected(), r.stragglers(), r.lossBefore(), r.lossAfter(),
                    Double.isNaN(r.adaptedMse()) ? "" : String.format(Locale.ROOT, "%.6f", r.adaptedMse())));
        }
        Files.writeString(out.resolve("rounds.csv"), csv.toString());
        plot(rows);
        summary(rows, (System.nanoTime() - started) / 1e9);
        return 0;
    }

    /** Runs the simulation; same options and seed give the same rows. */
    public List<Row> run() throws Exception {
        List<HardwareProfile> ps = new ArrayList<>();
        for (String p : profiles) {
            ps.add(HardwareProfile.load(p));
        }
        Path store = Files.createTempDirectory("tinyfed-simulate");
        Model init = Model.initialize(SineFamily.ARCHITECTURE, seed);
        RobustAggregation agg = RobustAggregation.of(aggregation, trim, clipNorm);
        InProcessSimulation sim = new InProcessSimulation(store, SineFamily.FAMILY, init,
                new RoundEngine.Settings("sine", innerSteps, lr, shots, Duration.ofSeconds(10), 1.0, 1, 1e3, seed),
                new ReptileStrategy(1.0, true, rounds, Selection.count(perRound), agg), devices, ps, shots,
                new InProcessSimulation.Faults(dropout, malicious,
                        InProcessSimulation.Attack.valueOf(attack.toUpperCase(Locale.ROOT).replace('-', '_'))), seed);
        List<SineFamily.Task> heldOut = SineFamily.tasks(100, seed + 1000);
        List<Row> rows = new ArrayList<>();
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("rounds").setInitialMax(rounds)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                .build()) {
            for (int k = 1; k <= rounds; k++) {
                RoundEngine.RoundSummary s = sim.round();
                bar.step();
                if (s == null) {
                    continue;
                }
                double adapted = k % evalEvery == 0 || k == rounds ? SineFamily.meanAndInterval(SineFamily.adaptedMse(
                        sim.engine().currentModel(), heldOut, SineFamily.STANDARD, seed))[0] : Double.NaN;
                int rejected = s.rejected().values().stream().mapToInt(Integer::intValue).sum();
                rows.add(new Row(s.round(), s.selected().size(), s.accepted().size(), rejected, s.stragglers().size(),
                        s.meanLossBefore(), s.meanLossAfter(), adapted));
            }
        }
        rejectedByReason = new TreeMap<>();
        sim.engine().rejectedTotals().forEach((r, n) -> rejectedByReason.put(r.name(), n));
        randomInit = SineFamily.meanAndInterval(SineFamily.adaptedMse(init, heldOut, SineFamily.STANDARD, seed))[0];
        return rows;
    }

    private Map<String, Long> rejectedByReason = Map.of();
    private double randomInit;

    private void plot(List<Row> rows) throws Exception {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (Row r : rows) {
            if (!Double.isNaN(r.adaptedMse())) {
                x.add((double) r.round());
                y.add(r.adaptedMse());
            }
        }
        XYChart chart = new XYChartBuilder().width(900).height(520).title("Simulated fleet: adapted MSE on held-out sine tasks")
                .xAxisTitle("round").yAxisTitle("adapted MSE (10 shots, 32 steps)").build();
        if (!x.isEmpty()) {
            chart.addSeries("federated Reptile", x, y);
        }
        chart.addSeries("random init", List.of(1.0, (double) rounds), List.of(randomInit, randomInit));
        BitmapEncoder.saveBitmap(chart, out.resolve("adapted-mse.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private void summary(List<Row> rows, double seconds) {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        Row last = rows.isEmpty() ? null : rows.get(rows.size() - 1);
        int accepted = rows.stream().mapToInt(Row::accepted).sum();
        int stragglers = rows.stream().mapToInt(Row::stragglers).sum();
        console.printf("%nSimulated %d devices (%s), %d rounds of %d, dropout %.2f, malicious %.2f (%s), aggregation %s, seed %d%n",
                devices, String.join("+", profiles), rows.size(), perRound, dropout, malicious, attack, aggregation, seed);
        console.printf("  %-40s %12s%n", "figure", "value");
        console.printf(Locale.ROOT, "  %-40s %12.3f%n", "adapted MSE, final meta-model", last == null ? Double.NaN : last.adaptedMse());
        console.printf(Locale.ROOT, "  %-40s %12.3f%n", "adapted MSE, random init", randomInit);
        console.printf("  %-40s %12d%n", "updates aggregated", accepted);
        console.printf("  %-40s %12d%n", "stragglers (dropped out or refused)", stragglers);
        console.printf("  %-40s %12s%n", "updates refused, by reason", rejectedByReason.isEmpty() ? "none" : rejectedByReason);
        console.printf(Locale.ROOT, "  %-40s %12.1f%n", "wall time, s", seconds);
        console.printf(Locale.ROOT, "  %-40s %12.1f%n", "peak heap, MiB", peak / 1048576.0);
        console.printf("  files: %s, %s%n", out.resolve("rounds.csv"), out.resolve("adapted-mse.png"));
    }

    public static void main(String[] args) {
        io.tinyfed.coordinator.Logging.configure();
        System.exit(new CommandLine(new SimulateCommand()).execute(args));
    }
}
