package io.tinyfed.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tinyfed.core.ArenaPlan;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.TrainingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tinyfed bench runtime}: speed (JMH), allocation, arena sizes and S16-vs-F32 accuracy of
 * the core runtime for the sine MLP 1-40-40-1 and the digits MLP 64-32-10.
 */
@Command(name = "runtime", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.bench.BenchCommand.Version.class,
        description = "Time, allocation, arena and accuracy figures of the device runtime (F32 vs S16).")
public final class RuntimeBench implements Callable<Integer> {
    @Option(names = "--quick", description = "Short JMH runs and fewer tasks (under a minute).")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as metrics JSON.")
    Path json;

    @Option(names = "--seed", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    private final List<Metric> metrics = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        System.out.printf("TinyFed runtime benchmark (%s, seed %d, %s %s, %d cores)%n%n", quick ? "quick" : "full", seed,
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        speed();
        allocationAndArena();
        accuracy();
        targets();
        if (json != null) {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("metrics", metrics);
            Path parent = json.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            mapper.writeValue(json.toFile(), root);
            System.out.println("wrote " + json);
        }
        System.out.printf("%ntotal %.1f s%n", (System.nanoTime() - started) / 1e9);
        return 0;
    }

    private static String modelName(BenchModels m) {
        return m.architecture().name();
    }

    private void speed() throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(RuntimeBenchmarks.class.getName())
                .verbosity(VerboseMode.SILENT)
                .jvmArgsAppend("-Xmx256m");
        if (quick) {
            options.forks(1).warmupIterations(2).warmupTime(TimeValue.milliseconds(500))
                    .measurementIterations(3).measurementTime(TimeValue.milliseconds(500));
        } else {
            options.forks(2).warmupIterations(3).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(5).measurementTime(TimeValue.seconds(1));
        }
        System.out.println("Speed (JMH average time per call, +- 99.9% CI)");
        Collection<RunResult> results = new Runner(options.build()).run();
        System.out.printf("  %-14s %-4s %22s %22s%n", "model", "fmt", "trainStep ns", "infer ns");
        for (BenchModels m : BenchModels.values()) {
            for (NumberFormat f : NumberFormat.values()) {
                double[] train = score(results, m, f, "trainStep");
                double[] infer = score(results, m, f, "infer");
                System.out.printf(Locale.ROOT, "  %-14s %-4s %13.1f +- %6.1f %13.1f +- %6.1f%n", modelName(m), f,
                        train[0], train[1], infer[0], infer[1]);
                metrics.add(Metric.of("train_step_ns", modelName(m), f.name(), train[0], "ns"));
                metrics.add(Metric.of("infer_ns", modelName(m), f.name(), infer[0], "ns"));
            }
        }
        System.out.println();
    }

    private static double[] score(Collection<RunResult> results, BenchModels m, NumberFormat f, String method) {
        for (RunResult r : results) {
            var p = r.getParams();
            if (p.getBenchmark().endsWith("." + method) && p.getParam("model").equals(m.name())
                    && p.getParam("format").equals(f.name())) {
                return new double[] {r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()};
            }
        }
        throw new IllegalStateException("no JMH result for " + m + " " + f + " " + method);
    }

    private void allocationAndArena() {
        System.out.println("Memory (bytes allocated per trainStep over 10,000 calls; arena = the one planned buffer)");
        System.out.printf("  %-14s %-4s %10s %11s %10s   %s%n", "model", "fmt", "alloc B", "train B", "infer B",
                "training arena parts");
        for (BenchModels m : BenchModels.values()) {
            for (NumberFormat f : NumberFormat.values()) {
                TrainingConfig config = m.trainingConfig(seed);
                Network net = Network.prepare(m.initialModel(f, seed), config);
                double alloc = AllocationProbe.bytesPerTrainStep(net, m.samples(seed), 20_000, 10_000);
                ArenaPlan train = net.arenaPlan();
                ArenaPlan infer = ArenaPlan.of(m.architecture(), f, TrainingConfig.inference());
                StringBuilder parts = new StringBuilder();
                for (ArenaPlan.Part p : train.parts()) {
                    parts.append(p.name()).append(' ').append(p.bytes()).append("  ");
                }
                System.out.printf(Locale.ROOT, "  %-14s %-4s %10.2f %,11d %,10d   %s%n", modelName(m), f, alloc,
                        train.totalBytes(), infer.totalBytes(), parts.toString().trim());
                metrics.add(Metric.of("train_alloc_bytes", modelName(m), f.name(), alloc, "bytes"));
                metrics.add(Metric.of("arena_train_bytes", modelName(m), f.name(), train.totalBytes(), "bytes"));
                metrics.add(Metric.of("arena_infer_bytes", modelName(m), f.name(), infer.totalBytes(), "bytes"));
                for (ArenaPlan.Part p : train.parts()) {
                    metrics.add(new Metric("arena_train_part_bytes", modelName(m), f.name(), p.name(), p.bytes(), "bytes"));
                }
                for (ArenaPlan.Part p : infer.parts()) {
                    metrics.add(new Metric("arena_infer_part_bytes", modelName(m), f.name(), p.name(), p.bytes(), "bytes"));
                }
            }
        }
        System.out.println();
    }

    private void accuracy() {
        int iterations = quick ? 1000 : 5000;
        int tasks = AccuracyExperiments.HELD_OUT_TASKS;
        Model f32 = AccuracyExperiments.metaTrainedSineInit(iterations, seed);
        Model s16 = AccuracyExperiments.toS16(f32, seed);
        double[] mf = AccuracyExperiments.sineAdaptedMse(f32, tasks, seed);
        double[] ms = AccuracyExperiments.sineAdaptedMse(s16, tasks, seed);
        System.out.printf(Locale.ROOT, "Accuracy: sine %d-shot adaptation (%d full-batch steps, lr %.2f, %d held-out "
                        + "tasks); same init: %d F32 Reptile iterations (outer step %.1f annealed), S16 = it quantised%n",
                AccuracyExperiments.SHOTS, AccuracyExperiments.ADAPT_STEPS, AccuracyExperiments.ADAPT_LR, tasks, iterations,
                AccuracyExperiments.OUTER_STEP);
        System.out.printf(Locale.ROOT, "  F32 adapted MSE %.4f +- %.4f   S16 adapted MSE %.4f +- %.4f   (S16/F32 %.3f)%n",
                mf[0], mf[1], ms[0], ms[1], ms[0] / mf[0]);
        metrics.add(Metric.of("sine_adapted_mse", "mlp-1-40-40-1", "F32", mf[0], "mse"));
        metrics.add(Metric.of("sine_adapted_mse", "mlp-1-40-40-1", "S16", ms[0], "mse"));

        double df = AccuracyExperiments.digitsOnlineAccuracy(NumberFormat.F32, seed);
        double ds = AccuracyExperiments.digitsOnlineAccuracy(NumberFormat.S16, seed);
        System.out.printf(Locale.ROOT, "Accuracy: UCI digits online (prequential, one pass over %d shuffled samples, "
                + "same init)%n  F32 %.2f %%   S16 %.2f %%%n", io.tinyfed.bench.UciDigits.SAMPLES, 100 * df, 100 * ds);
        metrics.add(Metric.of("digits_online_accuracy", "mlp-64-32-10", "F32", df, "fraction"));
        metrics.add(Metric.of("digits_online_accuracy", "mlp-64-32-10", "S16", ds, "fraction"));

        int trials = quick ? 4 : 20;
        System.out.printf("Remedies for sub-LSB updates: sine online SGD (batch 1), 3,000 steps, mean test MSE over %d "
                + "tasks%n", trials);
        AccuracyExperiments.Remedy[] remedies = AccuracyExperiments.Remedy.values();
        System.out.printf("  %-38s %10s %10s %10s%n", "configuration", "lr 3e-3", "lr 3e-4", "lr 3e-5");
        float[] rates = {3e-3f, 3e-4f, 3e-5f};
        double[][] table = new double[rates.length][];
        for (int i = 0; i < rates.length; i++) {
            table[i] = AccuracyExperiments.remedies(rates[i], trials, seed);
        }
        for (int r = 0; r < remedies.length; r++) {
            System.out.printf(Locale.ROOT, "  %-38s %10.4f %10.4f %10.4f%n", remedies[r].label, table[0][r], table[1][r],
                    table[2][r]);
            for (int i = 0; i < rates.length; i++) {
                metrics.add(new Metric("sine_online_mse_lr" + String.format(Locale.ROOT, "%.0e", rates[i]),
                        "mlp-1-40-40-1", r == 0 ? "F32" : "S16", remedies[r].name().toLowerCase(Locale.ROOT),
                        table[i][r], "mse"));
            }
        }
        System.out.println();
    }

    private double value(String name, String model, String format) {
        for (Metric m : metrics) {
            if (m.name().equals(name) && m.config() == null && m.format().equals(format)
                    && (model == null || m.model().equals(model))) {
                return m.value();
            }
        }
        throw new IllegalStateException("missing metric " + name + " " + model + " " + format);
    }

    private void targets() {
        System.out.println("Targets");
        for (BenchModels m : BenchModels.values()) {
            String n = modelName(m);
            check("0 B allocated per trainStep, " + n + " F32 and S16",
                    value("train_alloc_bytes", n, "F32") == 0 && value("train_alloc_bytes", n, "S16") == 0,
                    String.format(Locale.ROOT, "%.2f / %.2f B", value("train_alloc_bytes", n, "F32"),
                            value("train_alloc_bytes", n, "S16")));
            double ratio = value("arena_train_bytes", n, "S16") / value("arena_train_bytes", n, "F32");
            check("S16 training arena <= 55% of F32, " + n, ratio <= 0.55, String.format(Locale.ROOT, "%.1f %%", 100 * ratio));
            double speed = value("train_step_ns", n, "S16") / value("train_step_ns", n, "F32");
            check("S16 trainStep <= 2x F32, " + n, speed <= 2.0, String.format(Locale.ROOT, "%.2fx", speed));
        }
        double mse = value("sine_adapted_mse", null, "S16") / value("sine_adapted_mse", null, "F32");
        check("S16 sine adapted MSE within 15% of F32", mse <= 1.15, String.format(Locale.ROOT, "%.3f", mse));
        double acc = 100 * (value("digits_online_accuracy", null, "F32") - value("digits_online_accuracy", null, "S16"));
        check("S16 digits online accuracy within 2 points of F32", acc <= 2.0,
                String.format(Locale.ROOT, "%.2f points below", acc));
    }

    private static void check(String what, boolean ok, String actual) {
        System.out.printf("  [%s] %-52s %s%n", ok ? " ok " : "MISS", what, actual);
    }
}
