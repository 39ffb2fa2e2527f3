package io.tinyfed.simulators;

import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.core.Model;
import io.tinyfed.coordinator.store.CoordinatorKeys;
import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.simulators.tasks.Adaptation;
import io.tinyfed.simulators.tasks.TaskFamily;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
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
 * What uplink compression costs in quality and saves in bytes: federated Reptile on an int16 (Cortex-M4) fleet, every
 * update encoded and decoded as on MQTT ({@link InProcessSimulation#encodeUpdates}), the same seed for every method:
 * the dense S16 delta (what devices send by default) against the top P% of the delta as int8 in scaled blocks
 * ({@link io.tinyfed.core.DeltaCompressor}), with and without error feedback, for P in {@link #PERCENTS}. Quality is
 * the family's adapted score of new devices (MSE for sine, accuracy for classification) after the protocol's steps.
 */
final class CommunicationExperiment {
    static final double[] PERCENTS = {1, 5, 10, 25, 100};

    /** Makes the experiment's simulations as the other experiments do (their fleet, protocol and seed). */
    interface Simulations {
        InProcessSimulation create(TaskFamily family, Model init, List<HardwareProfile> profiles) throws Exception;
    }

    /** One compared way of sending updates. {@code percent} 0: the dense S16 delta. */
    record Method(String name, double percent, boolean errorFeedback) {
        int permille() {
            return (int) Math.round(percent * 10);
        }
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
        out.add(new Method("dense-s16", 0, false));
        for (boolean ef : new boolean[] {true, false}) {
            for (double p : PERCENTS) {
                out.add(new Method(String.format(Locale.ROOT, "top%s-int8%s", p == Math.rint(p) ? String.valueOf((int) p)
                        : String.valueOf(p), ef ? "-ef" : ""), p, ef));
            }
        }
        return out;
    }

    /** Runs every method on {@code family}; appends to {@code metrics}, writes CSV and PNG into {@code dir}. */
    void run(TaskFamily family, Path dir, List<Map<String, Object>> metrics) throws Exception {
        Model init = Model.initialize(family.architecture(), seed);
        TaskFamily.Protocol protocol = family.protocol();
        List<TaskFamily.Task> heldOut = family.heldOutTasks(family.classification() ? 100 : 200, seed + 1000);
        String metric = family.classification() ? "adapted_accuracy" : "adapted_mse";
        int snapshotBytes = snapshotBytes(family, init, dir);
        console.printf(Locale.ROOT, "%n%s: %d-parameter model, int16 fleet, %d rounds; %s of new devices after %d steps on "
                + "%d held-out tasks; a full snapshot is %,d B%n", family.name(), init.parameterCount(), rounds,
                family.classification() ? "accuracy" : "MSE", protocol.steps(), heldOut.size(), snapshotBytes);
        console.printf("  %-18s %16s %10s %18s %12s%n", "method", "bytes/update", "vs dense", metric.replace('_', ' '),
                "vs dense");
        StringBuilder csv = new StringBuilder("family,method,percent,error_feedback,update_bytes," + metric + ",ci95\n");
        XYChart chart = new XYChartBuilder().width(900).height(520)
                .title(family.name() + ": quality of new devices vs uplink bytes per update")
                .xAxisTitle("bytes per update (log)").yAxisTitle(metric.replace('_', ' ')).build();
        chart.getStyler().setXAxisLogarithmic(true);
        double denseBytes = 0;
        double denseScore = 0;
        Map<Boolean, List<double[]>> curves = new LinkedHashMap<>();
        List<Method> methods = methods();
        List<java.util.concurrent.Future<double[]>> runs = new ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.min(methods.size(), Runtime.getRuntime().availableProcessors()));
        try (Progress progress = Progress.start(family.name() + " methods", methods.size())) {
            for (Method m : methods) {
                runs.add(pool.submit(() -> run(family, init, heldOut, m)));
            }
            for (int i = 0; i < methods.size(); i++) {
                Method m = methods.get(i);
                double[] r = runs.get(i).get();
                progress.step();
                if (m.percent() == 0) {
                    denseBytes = r[0];
                    denseScore = r[1];
                } else {
                    curves.computeIfAbsent(m.errorFeedback(), k -> new ArrayList<>()).add(new double[] {r[0], r[1]});
                }
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < methods.size(); i++) {
            Method m = methods.get(i);
            double[] r = runs.get(i).get();
            console.printf(Locale.ROOT, "  %-18s %,16.0f %9.3fx %11.3f +- %5.3f %+11.1f%%%n", m.name(), r[0],
                    r[0] / denseBytes, r[1], r[2], 100 * (r[1] / denseScore - 1));
            csv.append(String.format(Locale.ROOT, "%s,%s,%s,%b,%.1f,%.6f,%.6f%n", family.name(), m.name(), m.percent(),
                    m.errorFeedback(), r[0], r[1], r[2]));
            metrics.add(metric("update_bytes", family, m, r[0], Double.NaN));
            metrics.add(metric(metric, family, m, r[1], r[2]));
        }
        chart.addSeries("dense S16", new double[] {denseBytes}, new double[] {denseScore}).setMarker(SeriesMarkers.DIAMOND);
        for (Map.Entry<Boolean, List<double[]>> e : curves.entrySet()) {
            chart.addSeries(e.getKey() ? "top P% int8, error feedback" : "top P% int8, no error feedback",
                    e.getValue().stream().mapToDouble(p -> p[0]).toArray(), e.getValue().stream().mapToDouble(p -> p[1])
                            .toArray());
        }
        Map<String, Object> snapshot = new LinkedHashMap<>();
        snapshot.put("name", "snapshot_bytes");
        snapshot.put("family", family.name());
        snapshot.put("method", "full-f32");
        snapshot.put("value", snapshotBytes);
        metrics.add(snapshot);
        Files.writeString(dir.resolve("communication-" + family.name() + ".csv"), csv.toString());
        BitmapEncoder.saveBitmap(chart, dir.resolve("communication-" + family.name() + ".png").toString(),
                BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * One method's run (its own simulation: runs are independent and may go in parallel): bytes per update, then the
     * adapted score's mean and 95% interval.
     */
    private double[] run(TaskFamily family, Model init, List<TaskFamily.Task> heldOut, Method m) throws Exception {
        InProcessSimulation sim = simulations.create(family, init, List.of(HardwareProfile.load("cortex-m4")));
        sim.encodeUpdates(m.errorFeedback());
        sim.engine().setUplinkPermille(m.permille());
        for (int k = 0; k < rounds; k++) {
            sim.round();
        }
        double bytes = (double) sim.uplinkBytes() / Math.max(1, sim.uplinkUpdates());
        double[] mi = Adaptation.meanAndInterval(Adaptation.scores(family, sim.engine().currentModel(), heldOut,
                family.protocol(), seed));
        return new double[] {bytes, mi[0], mi[1]};
    }

    private static Map<String, Object> metric(String name, TaskFamily family, Method m, double value, double ci) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        out.put("family", family.name());
        out.put("method", m.name());
        out.put("percent", m.percent() == 0 ? 100 : m.percent());
        out.put("error_feedback", m.errorFeedback());
        out.put("value", value);
        if (!Double.isNaN(ci)) {
            out.put("ci95", ci);
        }
        return out;
    }

    /** Bytes of one signed snapshot of the model as the coordinator publishes it (F32), key made in {@code dir}. */
    private static int snapshotBytes(TaskFamily family, Model init, Path dir) throws IOException {
        Path keys = Files.createTempDirectory(dir, "keys");
        try {
            SnapshotSigner signer = CoordinatorKeys.loadOrCreate(keys, "coordinator");
            return WireCodec.encode(signer.sign(family.name(), 1, init, Instant.EPOCH)).length;
        } finally {
            try (var walk = Files.walk(keys)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
