package io.tinyfed.simulators;

import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.OnlineLearner;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.Reptile;
import io.tinyfed.core.Sample;
import io.tinyfed.core.TrainingConfig;
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
import java.util.SplittableRandom;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * Online learning under drift on new devices: each device's stream switches mid-way to its drifted task
 * ({@link TaskFamily.Task#drifted}). Three devices' worth of behaviour are compared on the same streams, all in the
 * device's int16 engine (Cortex-M4 profile, one sample per step, test-then-train):
 * <ul>
 *   <li>{@code static}: the meta-model adapted once on the first {@code shots} samples, then frozen;</li>
 *   <li>{@code online-random}: TinyOL-style online learning from the random init;</li>
 *   <li>{@code online-meta}: the same online learner started from the meta-model.</li>
 * </ul>
 * One sample per SGD step needs a smaller rate than the protocol's full-batch steps, and which one suits depends on the
 * start, so both online learners run at the protocol's rate and at 1/5 and 1/25 of it. Reported: prequential
 * accuracy before the drift, after it, and over the last quarter of the stream. The first {@code shots} samples, on
 * which the static model is adapted, count for no one (the static model would be tested on its training data).
 */
final class DriftExperiment {
    private static final int HALF = 200;
    private static final int WINDOW = 20;

    private final TaskFamily family;
    private final long seed;
    private final int devices;
    private final PrintStream console;

    DriftExperiment(TaskFamily family, long seed, int devices, PrintStream console) {
        this.family = family;
        this.seed = seed;
        this.devices = devices;
        this.console = console;
    }

    void run(Model meta, Model random, Path dir, List<Map<String, Object>> metrics) throws IOException {
        HardwareProfile device = HardwareProfile.load("cortex-m4");
        TaskFamily.Protocol p = family.protocol();
        List<TaskFamily.Task> tasks = family.heldOutTasks(devices, seed + 2000);
        float[] rates = {p.learningRate(), p.learningRate() / 5, p.learningRate() / 25};
        String[] methods = new String[1 + 2 * rates.length];
        methods[0] = "static";
        for (int k = 0; k < rates.length; k++) {
            String lr = new java.math.BigDecimal(rates[k]).round(new java.math.MathContext(2)).stripTrailingZeros()
                    .toPlainString();
            methods[1 + 2 * k] = "online-random lr " + lr;
            methods[2 + 2 * k] = "online-meta lr " + lr;
        }
        double[][] correct = new double[methods.length][2 * HALF];
        for (int d = 0; d < devices; d++) {
            SplittableRandom r = new SplittableRandom(seed * 7_919L + d);
            List<Sample> stream = new ArrayList<>(tasks.get(d).samples(HALF, r));
            stream.addAll(tasks.get(d).drifted(r).samples(HALF, r));
            shuffleHalves(stream, r);
            List<float[]> calibration = stream.subList(0, p.shots()).stream().map(Sample::x).toList();
            // static: adapted once on the first shots (F32, as at deployment), then frozen, run in int16
            Network adapt = Network.prepare(meta, TrainingConfig.builder().loss(family.loss()).learningRate(p.learningRate())
                    .accumulationSteps(p.shots()).build());
            Model adapted = Reptile.adapt(adapt, meta, stream.subList(0, p.shots()), p.steps(), p.learningRate());
            Network frozen = Network.prepareForInference(Quantizer.toS16(adapted, calibration), device.ramBytes());
            float[] out = new float[family.architecture().outputSize()];
            for (int i = 0; i < stream.size(); i++) {
                frozen.infer(stream.get(i).x(), out);
                correct[0][i] += hit(out, stream.get(i).y()) / devices;
            }
            for (int k = 0; k < rates.length; k++) {
                online(random, rates[k], device, calibration, stream, correct[1 + 2 * k], d);
                online(meta, rates[k], device, calibration, stream, correct[2 + 2 * k], d);
            }
        }
        console.printf(Locale.ROOT, "%n%s, online learning under drift: %d new devices, %d samples each, the task drifts "
                + "after %d (int16 on the Cortex-M4 profile, one sample per step)%n", family.name(), devices, 2 * HALF, HALF);
        console.printf("  %-26s %14s %14s %18s%n", "model", "before drift", "after drift", "last " + HALF / 2 + " samples");
        StringBuilder csv = new StringBuilder("method,before_drift,after_drift,last_quarter\n");
        XYChart chart = new XYChartBuilder().width(900).height(520)
                .title(family.name() + ": prequential accuracy on a drifting stream (" + devices + " new devices)")
                .xAxisTitle("sample").yAxisTitle("accuracy, moving mean of " + WINDOW).build();
        for (int m = 0; m < methods.length; m++) {
            double before = mean(correct[m], p.shots(), HALF);
            double after = mean(correct[m], HALF, 2 * HALF);
            double last = mean(correct[m], 2 * HALF - HALF / 2, 2 * HALF);
            console.printf(Locale.ROOT, "  %-26s %14.3f %14.3f %18.3f%n", methods[m], before, after, last);
            csv.append(String.format(Locale.ROOT, "%s,%.6f,%.6f,%.6f%n", methods[m].replace(" lr ", "@"), before, after,
                    last));
            for (String[] phase : new String[][] {{"before_drift", "0"}, {"after_drift", "1"}, {"last_quarter", "2"}}) {
                Map<String, Object> metric = new LinkedHashMap<>();
                metric.put("name", "prequential_accuracy");
                metric.put("family", family.name());
                metric.put("method", methods[m].split(" ")[0]);
                if (m > 0) {
                    metric.put("learning_rate", rates[(m - 1) / 2]);
                }
                metric.put("phase", phase[0]);
                metric.put("value", new double[] {before, after, last}[Integer.parseInt(phase[1])]);
                metrics.add(metric);
            }
            double[] x = new double[2 * HALF - WINDOW + 1 - p.shots()];
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = p.shots() + i + WINDOW;
                y[i] = mean(correct[m], p.shots() + i, p.shots() + i + WINDOW);
            }
            chart.addSeries(methods[m], x, y);
        }
        Files.writeString(dir.resolve("drift.csv"), csv.toString());
        BitmapEncoder.saveBitmap(chart, dir.resolve("drift.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Test-then-train from {@code init} (quantised to int16 on the stream's first samples) over the whole stream. */
    private void online(Model init, float lr, HardwareProfile device, List<float[]> calibration, List<Sample> stream,
                        double[] correct, int d) {
        Model s16 = Quantizer.toS16(init, calibration);
        TrainingConfig config = device.trainingConfig(s16, lr, 1, seed + d).orElseThrow();
        OnlineLearner learner = new OnlineLearner(Network.prepare(s16, config), 1);
        float[] out = new float[family.architecture().outputSize()];
        for (int i = 0; i < stream.size(); i++) {
            Sample s = stream.get(i);
            learner.observe(s.x(), s.y());
            learner.network().lastOutput(out);
            correct[i] += hit(out, s.y()) / devices;
        }
    }

    /** Streams arrive in no class order: shuffle each half on its own (the drift point stays in the middle). */
    private static void shuffleHalves(List<Sample> stream, SplittableRandom r) {
        for (int base : new int[] {0, HALF}) {
            for (int i = HALF - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                Sample t = stream.get(base + i);
                stream.set(base + i, stream.get(base + j));
                stream.set(base + j, t);
            }
        }
    }

    private static double hit(float[] out, float[] y) {
        return Adaptation.argmax(out) == Adaptation.argmax(y) ? 1 : 0;
    }

    private static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }
}
