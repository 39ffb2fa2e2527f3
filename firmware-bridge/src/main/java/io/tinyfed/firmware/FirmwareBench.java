package io.tinyfed.firmware;

import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.TrainingConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./tinyfed bench firmware}: the parity check (exported C vs the Java S16 engine: 400 inference
 * inputs and 1,000 training steps, sine and digits models) and the Cortex-M4 footprint of each model.
 * and the Cortex-M4 instructions per inference and per training step (QEMU, {@link InstructionCount}).
 * Prints a table; {@code --json} writes TinyFed's metrics shape ({@code parity_mismatches}, {@code flash_bytes},
 * {@code ram_bytes}, {@code m4_infer_instructions}, {@code m4_train_step_instructions}, {@code m4_macs_per_instruction}
 * per model, named as {@code bench runtime} names them: {@code mlp-1-40-40-1}, {@code mlp-64-32-10}).
 */
@Command(name = "bench firmware", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "C export: parity with Java and Cortex-M4 footprint.")
public final class FirmwareBench implements Callable<Integer> {
    @Option(names = "--json", description = "Write the figures as metrics JSON here.")
    Path json;

    @Option(names = "--registry-dir", description = "Register each firmware build (model id firmware-NAME, version 1, S16 "
            + "requirements with the measured flash) in the embedded registry in this TDB2 directory.")
    Path registryDir;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the parity data (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        Path work = Files.createTempDirectory("tinyfed-firmware-bench");
        List<String> metrics = new ArrayList<>();
        try {
            TrainingConfig sineConfig = TrainingConfig.builder().learningRate(0.02f).seed(seed).build();
            TrainingConfig digitsConfig = TrainingConfig.builder().learningRate(0.05f).seed(seed).build();
            ParityCheck.Case sine = ParityCheck.sineCase("sine", Layer.Kind.TANH, sineConfig);
            ParityCheck.Case digits = ParityCheck.digitsCase("digits", digitsConfig);
            System.out.printf("TinyFed firmware benchmark (seed %d, host %s)%n%n", seed, gccVersion(work));
            System.out.printf("  %-28s %12s %12s  %s%n", "parity: C vs Java S16", "compared", "mismatches", "first mismatch");
            long mismatches = 0;
            for (ParityCheck.Case c : List.of(sine, digits)) {
                List<float[][]> samples = ParityCheck.samples(c, 1000, seed);
                Model s16 = ParityCheck.model(c, samples);
                ParityCheck.Result inf = ParityCheck.inference(c.name() + " inference", s16, 400, seed, dir(work, c.name() + "-infer"));
                ParityCheck.Result tr = ParityCheck.training(c, samples, dir(work, c.name() + "-train"));
                for (ParityCheck.Result r : List.of(inf, new ParityCheck.Result(c.name() + " training, 1,000 steps",
                        tr.compared(), tr.mismatches(), tr.first(), tr.saturations(), tr.adaptations()))) {
                    System.out.printf("  %-28s %12d %12d  %s%n", r.name(), r.compared(), r.mismatches(), r.first());
                    mismatches += r.mismatches();
                }
            }
            System.out.printf("%n  %-16s %-14s %14s %16s %10s %14s%n", "Cortex-M4 (QEMU)", "instructions",
                    "per inference", "per train step", "MACs/instr", "clock check");
            for (ParityCheck.Case c : List.of(sine, digits)) {
                Model s16 = ParityCheck.model(c, ParityCheck.samples(c, 64, seed));
                InstructionCount reference = null;
                for (InstructionCount.Kernels k : InstructionCount.Kernels.values()) {
                    InstructionCount n = InstructionCount.measure(s16, c.config(), k, dir(work, c.name() + "-icount-" + k));
                    String same = reference == null ? "" : n.state().equals(reference.state()) ? "  same state as reference"
                            : "  STATE DIFFERS FROM REFERENCE";
                    System.out.printf(Locale.ROOT, "  %-16s %-14s %14d %16d %10.3f %7d/%d%s%n", n.model(), k.label(),
                            n.inferInstructions(), n.trainStepInstructions(), n.macsPerInstruction(), n.calibrationMeasured(),
                            n.calibrationExpected(), same);
                    metrics.add(metric("m4_infer_instructions", n.model(), k, n.inferInstructions(), "instructions"));
                    metrics.add(metric("m4_train_step_instructions", n.model(), k, n.trainStepInstructions(),
                            "instructions"));
                    metrics.add(metric("m4_macs_per_instruction", n.model(), k, n.macsPerInstruction(), "MAC/instruction"));
                    if (reference == null) {
                        reference = n;
                    } else {
                        mismatches += n.state().equals(reference.state()) ? 0 : 1;
                        metrics.add(metric("m4_train_step_speedup", n.model(), (double) reference.trainStepInstructions()
                                / n.trainStepInstructions(), "x"));
                        metrics.add(metric("m4_infer_speedup", n.model(), (double) reference.inferInstructions()
                                / n.inferInstructions(), "x"));
                    }
                }
            }
            Model sineS16 = ParityCheck.model(sine, ParityCheck.samples(sine, 64, seed));
            TrainingConfig withResidual = sineConfig.toBuilder().uplinkResidual(true).build();
            InstructionCount compress = InstructionCount.measure(sineS16, withResidual, InstructionCount.Kernels.OPTIMIZED,
                    dir(work, "sine-icount-compress"));
            long residualBytes = io.tinyfed.core.ArenaPlan.of(sine.architecture(), io.tinyfed.core.NumberFormat.S16,
                    withResidual).bytes(io.tinyfed.core.ArenaPlan.UPLINK_RESIDUAL);
            System.out.printf(Locale.ROOT, "  %-16s %-14s %14s %16d  one compressed update (tf_compress_s16, top 10%%, "
                    + "error feedback; residual in the arena: %d B)%n", compress.model(), "compress", "",
                    compress.compressInstructions(), residualBytes);
            metrics.add(metric("m4_compress_instructions", compress.model(), InstructionCount.Kernels.OPTIMIZED,
                    compress.compressInstructions(), "instructions"));
            metrics.add(metric("uplink_residual_bytes", compress.model(), residualBytes, "B"));
            hostSpeed(work, metrics);
            // C vs Java on the host, and the DSP kernels vs the reference on the Cortex-M4
            metrics.add(metric("parity_mismatches", "all", mismatches, "count"));
            System.out.println("\n  QEMU mps2-an386 -icount shift=0, arm-none-eabi-gcc -O2 -mcpu=cortex-m4 -mfloat-abi=hard: "
                    + "instructions\n  executed (mean of 64 calls; a SysTick tick is 40 instructions there), not cycles; "
                    + "the clock check\n  counts a loop of known length.");
            System.out.printf("%n  %-10s %-34s %10s %10s %10s %10s%n", "Cortex-M4", "(arm-none-eabi-gcc -Os, training export)",
                    "arena B", "objects B", "flash B", "RAM B");
            for (ParityCheck.Case c : List.of(sine, digits)) {
                Model s16 = ParityCheck.model(c, ParityCheck.samples(c, 64, seed));
                Footprint f = Footprint.cortexM4(c.name(), s16, c.config(), dir(work, c.name() + "-m4"));
                System.out.printf("  %-10s %-34s %10d %10d %10d %10d%n", c.name(), c.architecture().name(), f.arenaBytes(),
                        f.objectsText() + f.objectsData(), f.flashBytes(), f.ramBytes());
                String model = c.architecture().name();
                metrics.add(metric("flash_bytes", model, f.flashBytes(), "B"));
                metrics.add(metric("ram_bytes", model, f.ramBytes(), "B"));
                metrics.add(metric("arena_bytes", model, f.arenaBytes(), "B"));
                metrics.add(metric("runtime_and_model_object_bytes", model, f.objectsText() + f.objectsData(), "B"));
                if (registryDir != null) {
                    try (io.tinyfed.registry.Registry registry = io.tinyfed.registry.Registry.embedded(registryDir)) {
                        io.tinyfed.registry.ModelVersionDescription d = io.tinyfed.registry.ModelDescriptions.firmware(
                                io.tinyfed.registry.ModelDescriptions.of("firmware-" + c.name(), 1, null, c.architecture(),
                                        List.of(), null, java.time.Instant.now()), f.flashBytes());
                        registry.registerModelVersion(d);
                        System.out.printf("  registered %s with S16 flash %d B in %s%n", d.iri(), f.flashBytes(), registryDir);
                    }
                }
            }
            System.out.println("\n  flash = text + data of a linked probe (init, infer, one train step; newlib startup, libm floor);"
                    + "\n  RAM = data + bss (the arena is in bss); objects = runtime + tables + model alone.");
            if (mismatches != 0) {
                System.out.println("\nPARITY FAILED");
            }
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        if (json != null) {
            Path parent = json.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.writeString(json, "{\"metrics\": [\n  " + String.join(",\n  ", metrics) + "\n]}\n", StandardCharsets.UTF_8);
            System.out.println("wrote " + json);
        }
        return 0;
    }

    /**
     * The host build of the C runtime against the Java S16 engine, on the models, configurations and samples of
     * {@code bench runtime}'s JMH benchmark ({@link io.tinyfed.bench.BenchModels}), timed by the same harness: after
     * warm-up, five batches of 20,000 training steps and of 20,000 inferences cycling through the samples; the median.
     */
    private void hostSpeed(Path work, List<String> metrics) throws IOException, InterruptedException {
        System.out.printf("%n  %-16s %-10s %14s %16s %18s %10s%n", "host", "C kernels", "C ns/infer", "C ns/train step",
                "Java S16 ns/train", "C speedup");
        for (io.tinyfed.bench.BenchModels m : io.tinyfed.bench.BenchModels.values()) {
            Model s16 = m.initialModel(io.tinyfed.core.NumberFormat.S16, seed);
            TrainingConfig config = m.trainingConfig(seed);
            List<io.tinyfed.core.Sample> samples = m.samples(seed);
            double[] java = javaSpeed(s16, config, samples);
            String model = m.architecture().name();
            metrics.add(metric("java_s16_train_step_ns", model, java[0], "ns"));
            metrics.add(metric("java_s16_infer_ns", model, java[1], "ns"));
            for (Toolchain.HostBuild build : Toolchain.HostBuild.values()) {
                Path d = dir(work, model + "-host-" + build.label());
                io.tinyfed.export.CExport.export(s16, "model", d, config);
                writeSamples(samples, d.resolve("samples.bin"));
                Toolchain.copyResource("host_speed.c", d);
                Path exe = Toolchain.gcc(d, build, "host_speed", "host_speed.c", "model.c", "tinyfed.c", "tinyfed_tables.c");
                double train = 0;
                double infer = 0;
                for (String line : Toolchain.run(d, null, List.of(exe.toString(), "samples.bin")).split("\n")) {
                    String[] f = line.trim().split(" ");
                    if (f[0].equals("train")) {
                        train = Double.parseDouble(f[1]);
                    } else if (f[0].equals("infer")) {
                        infer = Double.parseDouble(f[1]);
                    }
                }
                System.out.printf(Locale.ROOT, "  %-16s %-10s %14.1f %16.1f %18.1f %9.2fx%n", model, build.label(), infer, train,
                        java[0], java[0] / train);
                metrics.add(metric("host_c_infer_ns", model, build.label(), infer, "ns"));
                metrics.add(metric("host_c_train_step_ns", model, build.label(), train, "ns"));
                metrics.add(metric("host_c_train_step_speedup_vs_java", model, build.label(), java[0] / train, "x"));
            }
        }
        for (Toolchain.HostBuild build : Toolchain.HostBuild.values()) {
            System.out.printf("  %-9s gcc %s%n", build.label() + ":", String.join(" ", build.flags()));
        }
        System.out.println("  median of 5 batches of 20,000 calls after warm-up, on bench runtime's models and samples; the C "
                + "inference\n  takes int16 inputs, the Java one floats. Compare with bench runtime's JMH figures.");
    }

    /** The Java S16 engine's ns per training step and per inference, timed like host_speed.c times the C runtime. */
    private static double[] javaSpeed(Model s16, TrainingConfig config, List<io.tinyfed.core.Sample> samples) {
        io.tinyfed.core.Network trainer = io.tinyfed.core.Network.prepare(s16, config);
        io.tinyfed.core.Network inferer = io.tinyfed.core.Network.prepare(s16, TrainingConfig.inference());
        int n = samples.size();
        float[] out = new float[s16.architecture().outputSize()];
        float sink = 0;
        for (int s = 0; s < 200_000; s++) { // until the JIT has compiled both paths
            sink += trainer.trainStep(samples.get(s % n).x(), samples.get(s % n).y());
            inferer.infer(samples.get(s % n).x(), out);
        }
        double[] train = new double[5];
        double[] infer = new double[5];
        for (int b = 0; b < 5; b++) {
            long t0 = System.nanoTime();
            for (int s = 0; s < 20_000; s++) {
                sink += trainer.trainStep(samples.get(s % n).x(), samples.get(s % n).y());
            }
            long t1 = System.nanoTime();
            for (int s = 0; s < 20_000; s++) {
                inferer.infer(samples.get(s % n).x(), out);
                sink += out[0];
            }
            long t2 = System.nanoTime();
            train[b] = (t1 - t0) / 20_000.0;
            infer[b] = (t2 - t1) / 20_000.0;
        }
        java.util.Arrays.sort(train);
        java.util.Arrays.sort(infer);
        if (Float.isNaN(sink)) { // keeps the results live
            System.out.println("  (the Java engine produced NaN)");
        }
        return new double[] {train[2], infer[2]};
    }

    /** host_speed.c's samples file: uint32 count, then each sample's inputs and targets as float32, little-endian. */
    private static void writeSamples(List<io.tinyfed.core.Sample> samples, Path file) throws IOException {
        int floats = samples.get(0).x().length + samples.get(0).y().length;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + samples.size() * floats * 4)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(samples.size());
        for (io.tinyfed.core.Sample s : samples) {
            for (float v : s.x()) {
                b.putFloat(v);
            }
            for (float v : s.y()) {
                b.putFloat(v);
            }
        }
        Files.write(file, b.array());
    }

    private static Path dir(Path work, String name) throws IOException {
        return Files.createDirectories(work.resolve(name));
    }

    private static String gccVersion(Path work) throws IOException, InterruptedException {
        return Toolchain.run(work, null, List.of("gcc", "-dumpfullversion")).trim().isEmpty() ? "gcc"
                : "gcc " + Toolchain.run(work, null, List.of("gcc", "-dumpfullversion")).trim();
    }

    private static String metric(String name, String model, InstructionCount.Kernels kernel, double value, String unit) {
        return metric(name, model, kernel.label(), value, unit);
    }

    private static String metric(String name, String model, String kernel, double value, String unit) {
        return String.format(Locale.ROOT, "{\"name\": \"%s\", \"model\": \"%s\", \"kernel\": \"%s\", \"value\": %s, "
                + "\"unit\": \"%s\"}", name, model, kernel, value == Math.rint(value) ? String.valueOf((long) value)
                : String.valueOf(value), unit);
    }

    private static String metric(String name, String model, double value, String unit) {
        return String.format(Locale.ROOT, "{\"name\": \"%s\", \"model\": \"%s\", \"value\": %s, \"unit\": \"%s\"}", name, model,
                value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value), unit);
    }

    public static void main(String[] args) {
        System.exit(io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new FirmwareBench())).execute(args));
    }
}
