package io.tinyfed.simulators;

import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.core.Model;
import io.tinyfed.simulators.tasks.Adaptation;
import io.tinyfed.simulators.tasks.TaskFamily;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * What compressing updates and versions costs in quality and saves in bytes: federated Reptile on an int16 (Cortex-M4)
 * fleet, every update encoded and decoded as on MQTT ({@link InProcessSimulation#encodeUpdates}) and every version
 * received as a full snapshot or rebuilt from a delta, the same seed for every method: the dense S16 delta (what
 * devices send by default) against the top P% of the delta as int8 in scaled blocks
 * ({@link io.tinyfed.core.DeltaCompressor}), with and without error feedback, for P in {@link #PERCENTS}; then the top
 * 10% with error feedback together with versions sent as deltas holding the top D% of their change
 * ({@link #DOWNLINK_PERCENTS}). Quality is the family's adapted score of new devices (MSE for sine, accuracy for
 * classification) after the protocol's steps. For sine the median is reported beside the mean: with a few meta-models
 * (dense ones too) the protocol's 32 full-batch steps at lr 0.02 diverge on one or two of the 200 held-out tasks, and
 * one such task moves the mean by orders of magnitude; those tasks are counted as diverged.
 */
final class CommunicationExperiment {
    static final double[] PERCENTS = {1, 5, 10, 25, 100};
    static final double[] DOWNLINK_PERCENTS = {5, 10, 25};
    /** An adapted sine MSE above this has diverged (the random init's is about 4). */
    static final double DIVERGED_MSE = 100;

    /** Makes the experiment's simulations as the other experiments do (their fleet, protocol and seed). */
    interface Simulations {
        InProcessSimulation create(TaskFamily family, Model init, List<HardwareProfile> profiles) throws Exception;
    }

    /** One compared way of sending updates and versions. A percent of 0: uncompressed (dense S16, full snapshots). */
    record Method(String name, double percent, boolean errorFeedback, double downlinkPercent) {
        int permille() {
            return (int) Math.round(percent * 10);
        }

        int downlinkPermille() {
            return (int) Math.round(downlinkPercent * 10);
        }
    }

    /**
     * One method's figures: bytes per update and per version received, the score's mean and 95% interval over every
     * task and over the tasks that did not diverge, its median, and how many tasks diverged.
     */
    record Outcome(double updateBytes, double versionBytes, double mean, double ci95, double finiteMean,
                   double finiteCi95, double median, int diverged) {
    }

    private final Simulations simulations;
    private final int rounds;
    private final long seed;
    private final PrintStream console;

    CommunicationExperiment(Simulations simulations, int rounds, long seed, PrintStream console) {
        this.simulations = simulations;
        this.rounds = rounds;
        this.seed = seed;
        this.console = console;
    }

    static List<Method> methods() {
        List<Method> out = new ArrayList<>();
        out.add(new Method("dense-s16", 0, false, 0));
        for (boolean ef : new boolean[] {true, false}) {
            for (double p : PERCENTS) {
                out.add(new Method("top" + (int) p + "-int8" + (ef ? "-ef" : ""), p, ef, 0));
            }
        }
        for (double d : DOWNLINK_PERCENTS) {
            out.add(new Method("top10-int8-ef/down" + (int) d, 10, true, d));
        }
        return out;
    }

    /** Runs every method on {@code family}; appends to {@code metrics}, writes CSV and PNG into {@code dir}. */
    void run(TaskFamily family, Path dir, List<Map<String, Object>> metrics) throws Exception {
        Model init = Model.initialize(family.architecture(), seed);
        TaskFamily.Protocol protocol = family.protocol();
        List<TaskFamily.Task> heldOut = family.heldOutTasks(family.classification() ? 100 : 200, seed + 1000);
        String metric = family.classification() ? "adapted_accuracy" : "adapted_mse";
        console.printf(Locale.ROOT, "%n%s: %d-parameter model, int16 fleet, %d rounds; %s of new devices after %d steps on "
                + "%d held-out tasks%n", family.name(), init.parameterCount(), rounds,
                family.classification() ? "accuracy" : "MSE", protocol.steps(), heldOut.size());
        console.printf("  %-22s %10s %9s %10s %9s %9s %19s %9s%n", "method", "B/update", "vs dense", "B/version",
                "vs full", "median", family.classification() ? "accuracy" : "mean, not diverged", "diverged");
        StringBuilder csv = new StringBuilder("family,method,percent,error_feedback,downlink_percent,update_bytes,"
                + "version_bytes," + metric + ",ci95,median,mean_not_diverged,ci95_not_diverged,diverged\n");
        List<Method> methods = methods();
        List<java.util.concurrent.Future<Outcome>> runs = new ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.min(methods.size(), Runtime.getRuntime().availableProcessors()));
        List<Outcome> outcomes = new ArrayList<>();
        try (Progress progress = Progress.start(family.name() + " methods", methods.size())) {
            for (Method m : methods) {
                runs.add(pool.submit(() -> run(family, init, heldOut, m)));
            }
            for (java.util.concurrent.Future<Outcome> r : runs) {
                outcomes.add(r.get());
                progress.step();
            }
        } finally {
            pool.shutdownNow();
        }
        Outcome dense = outcomes.get(0);
        for (int i = 0; i < methods.size(); i++) {
            Method m = methods.get(i);
            Outcome o = outcomes.get(i);
            console.printf(Locale.ROOT, "  %-22s %,10.0f %8.3fx %,10.0f %8.3fx %9.3f %10.3f +- %5.3f %9d%n", m.name(),
                    o.updateBytes(), o.updateBytes() / dense.updateBytes(), o.versionBytes(),
                    o.versionBytes() / dense.versionBytes(), o.median(), o.finiteMean(), o.finiteCi95(), o.diverged());
            csv.append(String.format(Locale.ROOT, "%s,%s,%s,%b,%s,%.1f,%.1f,%.6g,%.6g,%.6f,%.6f,%.6f,%d%n", family.name(),
                    m.name(), m.percent(), m.errorFeedback(), m.downlinkPercent(), o.updateBytes(), o.versionBytes(),
                    o.mean(), o.ci95(), o.median(), o.finiteMean(), o.finiteCi95(), o.diverged()));
            metrics.add(metric("update_bytes", family, m, o.updateBytes(), null));
            metrics.add(metric("snapshot_bytes", family, m, o.versionBytes(), null));
            Map<String, Object> score = metric(metric, family, m, o.mean(), o.ci95());
            if (!family.classification()) {
                score.put("median", o.median());
                score.put("mean_not_diverged", o.finiteMean());
                score.put("diverged_tasks", o.diverged());
            }
            metrics.add(score);
        }
        Files.writeString(dir.resolve("communication-" + family.name() + ".csv"), csv.toString());
        chart(family, methods, outcomes, dir);
    }

    /** Quality against uplink bytes (log scale): the dense point and a curve per error-feedback setting. */
    private static void chart(TaskFamily family, List<Method> methods, List<Outcome> outcomes, Path dir)
            throws IOException {
        boolean regression = !family.classification();
        XYChart chart = new XYChartBuilder().width(900).height(520)
                .title(family.name() + ": quality of new devices vs uplink bytes per update")
                .xAxisTitle("bytes per update (log)").yAxisTitle(regression ? "median adapted MSE" : "adapted accuracy")
                .build();
        chart.getStyler().setXAxisLogarithmic(true);
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (int i = 0; i < methods.size(); i++) {
            Method m = methods.get(i);
            Outcome o = outcomes.get(i);
            String name = m.percent() == 0 ? "dense S16" : m.downlinkPercent() > 0 ? "top 10% + versions as deltas"
                    : m.errorFeedback() ? "top P% int8, error feedback" : "top P% int8, no error feedback";
            series.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {o.updateBytes(),
                regression ? o.median() : o.mean()});
        }
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            chart.addSeries(e.getKey(), e.getValue().stream().mapToDouble(p -> p[0]).toArray(),
                    e.getValue().stream().mapToDouble(p -> p[1]).toArray())
                    .setMarker(e.getValue().size() == 1 ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
        }
        BitmapEncoder.saveBitmap(chart, dir.resolve("communication-" + family.name() + ".png").toString(),
                BitmapEncoder.BitmapFormat.PNG);
    }

    /** One method's run, in its own simulation (runs are independent and may go in parallel). */
    private Outcome run(TaskFamily family, Model init, List<TaskFamily.Task> heldOut, Method m) throws Exception {
        InProcessSimulation sim = simulations.create(family, init, List.of(HardwareProfile.load("cortex-m4")));
        sim.encodeUpdates(m.errorFeedback());
        sim.engine().setUplinkPermille(m.permille());
        sim.engine().setDownlinkPermille(m.downlinkPermille());
        for (int k = 0; k < rounds; k++) {
            sim.round();
        }
        double[] scores = Adaptation.scores(family, sim.engine().currentModel(), heldOut, family.protocol(), seed);
        double[] mi = Adaptation.meanAndInterval(scores);
        double[] finite = family.classification() ? scores
                : java.util.Arrays.stream(scores).filter(v -> v <= DIVERGED_MSE).toArray();
        double[] fi = finite.length == 0 ? new double[] {Double.NaN, Double.NaN} : Adaptation.meanAndInterval(finite);
        long[] downlink = sim.downlink();
        return new Outcome((double) sim.uplinkBytes() / Math.max(1, sim.uplinkUpdates()),
                (double) downlink[0] / Math.max(1, downlink[1]), mi[0], mi[1], fi[0], fi[1],
                new org.apache.commons.math3.stat.descriptive.rank.Median().evaluate(scores),
                scores.length - finite.length);
    }

    private static Map<String, Object> metric(String name, TaskFamily family, Method m, double value, Double ci) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        out.put("family", family.name());
        out.put("method", m.name());
        out.put("percent", m.percent() == 0 ? 100 : m.percent());
        out.put("error_feedback", m.errorFeedback());
        out.put("downlink_percent", m.downlinkPercent() == 0 ? 100 : m.downlinkPercent());
        out.put("value", value);
        if (ci != null) {
            out.put("ci95", ci);
        }
        return out;
    }
}
