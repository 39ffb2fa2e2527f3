package io.tinyfed.simulators;

import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.simulators.tasks.Adaptation;
import io.tinyfed.simulators.tasks.SineFamily;
import io.tinyfed.simulators.tasks.TaskFamily;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * Synchronous against asynchronous buffered Reptile on a fleet that is slow and often away, on the simulated clock
 * ({@link InProcessSimulation#runTimed}): a third of the devices ten times slower than the rest, answer times
 * log-normal, every device online half of the time. Synchronous rounds ask 10 devices and close when all have
 * answered or at their 30 s deadline (the coordinator's defaults), or, as a second reference, when 7 of the 10 have
 * (quorum 0.7); asynchronous rounds keep 20 devices training and make a version from every 10 updates,
 * staleness-weighted, refusing those more than 30 versions stale, and make {@link #ASYNC_VERSIONS} times as many
 * versions (each outer step is noisier: its updates come from fewer, partly stale devices). Every run anneals its
 * outer step over its own versions; the fleet, seed and straggler rest (2 rounds) are the same. Every 10 versions the
 * meta-model is adapted to 200 held-out sine tasks: the median adapted MSE (a task whose adaptation diverges under the
 * protocol, counted apart, would dominate a mean). Single evaluations are noisy, so a run's level at an evaluation is
 * the mean of its last {@link #SMOOTHING} medians: the target is the synchronous run's final level, and a run's time to
 * target is the first time its level is at or below it. Reported: those times and the final levels.
 */
final class AsyncExperiment {
    static final InProcessSimulation.Timing TIMING = new InProcessSimulation.Timing(Duration.ofSeconds(1), 0.5, 1.0 / 3,
            10, 0.5, Duration.ofSeconds(120));
    static final RoundEngine.AsyncSettings ASYNC = new RoundEngine.AsyncSettings(20, 10, 30);
    static final int ASYNC_VERSIONS = 3;
    static final int EVERY = 10;
    static final int SMOOTHING = 3;

    /** Makes a simulation of {@code devices} devices for a strategy and quorum (the caller's fleet, protocol, seed). */
    interface Simulations {
        InProcessSimulation create(ReptileStrategy strategy, double quorum, int devices) throws Exception;
    }

    /** One compared strategy: synchronous with a quorum, or asynchronous. */
    record Run(String name, double quorum, RoundEngine.AsyncSettings async) {
    }

    /** One evaluation: simulated seconds, versions made, median adapted MSE, tasks whose adaptation diverged. */
    record Point(double seconds, int versions, double median, int diverged) {
    }

    private final Simulations simulations;
    private final int devices;
    private final int rounds;
    private final long seed;
    private final PrintStream console;

    AsyncExperiment(Simulations simulations, int devices, int rounds, long seed, PrintStream console) {
        this.simulations = simulations;
        this.devices = devices;
        this.rounds = rounds;
        this.seed = seed;
        this.console = console;
    }

    void run(Path dir, List<Map<String, Object>> metrics) throws Exception {
        TaskFamily family = SineFamily.FAMILY;
        List<TaskFamily.Task> heldOut = family.heldOutTasks(200, seed + 1000);
        console.printf(Locale.ROOT, "%nAsynchronous vs synchronous Reptile, sine, %d devices (a third %.0fx slower, answer "
                + "times log-normal with median %.1f s, online %.0f%% of the time), %d synchronous rounds, seed %d%n",
                devices, TIMING.slowFactor(), TIMING.median().toMillis() / 1e3, 100 * TIMING.availability(), rounds, seed);
        List<Run> runs = List.of(new Run("sync", 1.0, null), new Run("sync-quorum0.7", 0.7, null),
                new Run("async", 1.0, ASYNC));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        Map<String, List<Point>> curves = new LinkedHashMap<>();
        try {
            List<java.util.concurrent.Future<List<Point>>> futures = new ArrayList<>();
            for (Run r : runs) {
                futures.add(pool.submit(() -> curve(family, heldOut, r)));
            }
            for (int i = 0; i < runs.size(); i++) {
                curves.put(runs.get(i).name(), futures.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
        List<Point> sync = curves.get("sync");
        Point syncEnd = sync.get(sync.size() - 1);
        double target = level(sync, sync.size() - 1);
        double syncTime = timeTo(sync, target);
        console.printf("  %-16s %9s %12s %12s %12s %12s %22s%n", "strategy", "versions", "sim. time s", "median MSE",
                "level", "diverged", "time to sync's level s");
        StringBuilder csv = new StringBuilder("strategy,seconds,versions,median_adapted_mse,diverged_tasks\n");
        XYChart chart = new XYChartBuilder().width(900).height(520).title("sine: median adapted MSE vs simulated time")
                .xAxisTitle("simulated time (s, log)").yAxisTitle("median adapted MSE (100 held-out tasks)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        for (Map.Entry<String, List<Point>> e : curves.entrySet()) {
            List<Point> points = e.getValue();
            Point end = points.get(points.size() - 1);
            double time = timeTo(points, target);
            console.printf(Locale.ROOT, "  %-16s %9d %12.1f %12.3f %12.3f %12d %22s%n", e.getKey(), end.versions(),
                    end.seconds(), end.median(), level(points, points.size() - 1), end.diverged(), Double.isNaN(time)
                            ? "not reached" : String.format(Locale.ROOT, "%.1f", time));
            for (Point p : points) {
                csv.append(String.format(Locale.ROOT, "%s,%.3f,%d,%.6f,%d%n", e.getKey(), p.seconds(), p.versions(),
                        p.median(), p.diverged()));
            }
            List<Point> shown = points.subList(1, points.size()); // time 0 has no place on a log axis
            chart.addSeries(e.getKey(), shown.stream().mapToDouble(Point::seconds).toArray(),
                    shown.stream().mapToDouble(Point::median).toArray());
            metrics.add(metric("time_to_target_s", e.getKey(), time, target));
            metrics.add(metric("adapted_mse", e.getKey(), level(points, points.size() - 1), Double.NaN));
            metrics.add(metric("wall_time_s", e.getKey(), end.seconds(), Double.NaN));
        }
        List<Point> async = curves.get("async");
        double asyncTime = timeTo(async, target);
        console.printf(Locale.ROOT, "%n  async / sync time to the sync run's final level: %s (target <= 0.5); final level "
                + "async / sync: %.3f (target <= 1.05)%n", Double.isNaN(asyncTime) ? "not reached"
                : String.format(Locale.ROOT, "%.3f", asyncTime / syncTime), level(async, async.size() - 1) / target);
        Files.writeString(dir.resolve("async.csv"), csv.toString());
        BitmapEncoder.saveBitmap(chart, dir.resolve("async.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** The evaluations of one run, starting with the initial model at 0 s. */
    private List<Point> curve(TaskFamily family, List<TaskFamily.Task> heldOut, Run run) throws Exception {
        int versions = run.async() == null ? rounds : rounds * ASYNC_VERSIONS;
        InProcessSimulation sim = simulations.create(new ReptileStrategy(1.0, true, versions, Selection.count(10)),
                run.quorum(), devices);
        sim.engine().setStragglerRest(2);
        sim.engine().setAsync(run.async());
        List<Point> points = new ArrayList<>();
        points.add(evaluate(family, heldOut, sim, 0));
        sim.runTimed(TIMING, versions, Duration.ofDays(30), seconds -> {
            if (sim.engine().roundsClosed() % EVERY == 0) {
                points.add(evaluate(family, heldOut, sim, seconds));
            }
        });
        return points;
    }

    private Point evaluate(TaskFamily family, List<TaskFamily.Task> heldOut, InProcessSimulation sim, double seconds) {
        double[] scores = Adaptation.scores(family, sim.engine().currentModel(), heldOut, family.protocol(), seed);
        return new Point(seconds, (int) sim.engine().currentVersion().version() - 1,
                new org.apache.commons.math3.stat.descriptive.rank.Median().evaluate(scores),
                (int) java.util.Arrays.stream(scores).filter(v -> !(v <= CommunicationExperiment.DIVERGED_MSE)).count());
    }

    /** The mean median of the evaluations up to {@code i}, the last {@link #SMOOTHING} of them. */
    static double level(List<Point> points, int i) {
        int from = Math.max(0, i - SMOOTHING + 1);
        double s = 0;
        for (int k = from; k <= i; k++) {
            s += points.get(k).median();
        }
        return s / (i - from + 1);
    }

    /** The first time a run's {@link #level} is at or below {@code target}; NaN if never. */
    static double timeTo(List<Point> points, double target) {
        for (int i = SMOOTHING - 1; i < points.size(); i++) {
            if (level(points, i) <= target) {
                return points.get(i).seconds();
            }
        }
        return Double.NaN;
    }

    private static Map<String, Object> metric(String name, String strategy, double value, double target) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("family", "sine");
        m.put("strategy", strategy);
        m.put("value", Double.isNaN(value) ? "not reached" : value);
        if (!Double.isNaN(target)) {
            m.put("target_median_adapted_mse", target);
        }
        return m;
    }

    /** The fleet's hardware: half Cortex-M4 (int16), half gateways (float32). */
    static List<HardwareProfile> profiles() throws java.io.IOException {
        return List.of(HardwareProfile.load("cortex-m4"), HardwareProfile.load("gateway"));
    }

    static Model init(long seed) {
        return Model.initialize(SineFamily.ARCHITECTURE, seed);
    }
}
