package io.tinyfed.export;

import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.core.fixed.ActivationTables;
import io.tinyfed.core.internal.Layout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Exports an S16 model as C: the runtime ({@code tinyfed.h}, {@code tinyfed.c}, copied unchanged),
 * the activation tables generated from the Java engine's ({@code tinyfed_tables.c}), and the model
 * ({@code NAME.h}/{@code NAME.c}: parameters, scales, layers and the Java planner's arena layout, so
 * the arena a caller supplies is exactly {@code NAME_ARENA_BYTES}, the planner's figure).
 *
 * <p>Dense and Conv1D layers with ReLU, tanh, sigmoid and softmax; the training step in every mode the
 * Java S16 engine has (direct, int32 master weights, accumulation, momentum), nearest or stochastic
 * rounding, scale adaptation; with {@link TrainingConfig#uplinkResidual()} the arena also holds the residual of
 * compressed updates and {@code tf_compress_s16} sends the top of each delta as {@link io.tinyfed.core.DeltaCompressor}
 * does, bit for bit.
 */
public final class CExport {
    /** Files of the C runtime, copied from the classpath. */
    public static final List<String> RUNTIME = List.of("tinyfed.h", "tinyfed.c", "tinyfed_serial.h", "tinyfed_serial.c");

    private CExport() {
    }

    /**
     * Writes the runtime and {@code name}.h/.c into {@code out}; returns the arena bytes.
     *
     * @throws IllegalArgumentException if the model is not S16, the name is not a C identifier, or the
     *                                  model has more than 32 layers or tensors
     */
    public static long export(Model model, String name, Path out) throws IOException {
        return export(model, name, out, TrainingConfig.inference());
    }

    /**
     * Writes the runtime and the model laid out for {@code config}: with a training config the arena
     * holds the training sections and {@code tf_train_step_s16} runs the Java engine's step.
     *
     */
    public static long export(Model model, String name, Path out, TrainingConfig config) throws IOException {
        if (model.format() != NumberFormat.S16) {
            throw new IllegalArgumentException("the C runtime runs S16 models; quantise the model first (Quantizer.toS16)");
        }
        if (!name.matches("[a-z_][a-z0-9_]{0,31}")) {
            throw new IllegalArgumentException("model name must be a lower-case C identifier, got '" + name + "'");
        }
        Layout layout = Layout.plan(model.architecture(), NumberFormat.S16, config);
        if (layout.layerCount > 32 || layout.tensorCount > 32) {
            throw new IllegalArgumentException("the C runtime's counters hold at most 32 layers and 32 tensors");
        }
        long arena = (long) layout.wideLength * 4 + (long) layout.narrowLength * 2;
        if (arena != layout.totalBytes()) {
            throw new IllegalStateException("planner regions " + arena + " B != plan " + layout.totalBytes() + " B");
        }
        Files.createDirectories(out);
        for (String f : RUNTIME) {
            try (InputStream in = CExport.class.getResourceAsStream("c/" + f)) {
                if (in == null) {
                    throw new IllegalStateException("runtime file " + f + " missing from the classpath");
                }
                Files.write(out.resolve(f), in.readAllBytes());
            }
        }
        Files.writeString(out.resolve("tinyfed_tables.c"), tables(), StandardCharsets.UTF_8);
        Files.writeString(out.resolve(name + ".h"), header(name, arena, model.parameterCount(),
                model.architecture().tensorCount(), model.architecture().inputSize(), model.architecture().outputSize()),
                StandardCharsets.UTF_8);
        Files.writeString(out.resolve(name + ".c"), source(model, name, layout, arena, config), StandardCharsets.UTF_8);
        return arena;
    }

    /**
     * The S16 model the C runtime runs: {@code model} itself when it is S16, else quantised on 256 inputs drawn uniformly
     * from {@code [lo, hi]} (the range of the model's inputs) with {@code seed}.
     */
    public static Model toS16(Model model, double lo, double hi, long seed) {
        if (model.format() == NumberFormat.S16) {
            return model;
        }
        if (!(Double.isFinite(lo) && Double.isFinite(hi) && lo < hi)) {
            throw new IllegalArgumentException("calibration range [" + lo + ", " + hi + "]: two finite numbers, lo < hi");
        }
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        List<float[]> calibration = new ArrayList<>();
        for (int k = 0; k < CALIBRATION_SAMPLES; k++) {
            float[] x = new float[model.architecture().inputSize()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (lo + r.nextDouble() * (hi - lo));
            }
            calibration.add(x);
        }
        return io.tinyfed.core.Quantizer.toS16(model, calibration);
    }

    /**
     * A calibration range written {@code LO:HI}: two finite numbers with LO < HI.
     *
     * @throws IllegalArgumentException saying what is expected, for anything else
     */
    public static double[] range(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\s*([^:]+):([^:]+)\\s*").matcher(text);
        try {
            if (m.matches()) {
                double lo = Double.parseDouble(m.group(1));
                double hi = Double.parseDouble(m.group(2));
                if (Double.isFinite(lo) && Double.isFinite(hi) && lo < hi) {
                    return new double[] {lo, hi};
                }
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(text + ": expected LO:HI, two numbers with LO < HI, e.g. -5:5 (the range "
                + "of the model's inputs)");
    }

    /** Inputs an F32 model is quantised on. */
    public static final int CALIBRATION_SAMPLES = 256;

    /**
     * The export of {@code model} (S16) as one zip archive: the runtime, {@code name}.h/.c and {@code name}.tfm (the S16
     * model the firmware holds, what the serial bridge needs), written to {@code zip}; returns the arena bytes.
     */
    public static long exportZip(Model model, String name, TrainingConfig config, java.io.OutputStream zip)
            throws IOException {
        Path dir = Files.createTempDirectory("tinyfed-export");
        try {
            long arena = export(model, name, dir, config);
            Files.write(dir.resolve(name + ".tfm"), io.tinyfed.core.ModelCodec.encode(model));
            try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(zip)) {
                List<Path> files;
                try (var listing = Files.list(dir)) {
                    files = listing.sorted().toList();
                }
                for (Path f : files) {
                    java.util.zip.ZipEntry e = new java.util.zip.ZipEntry(name + "/" + f.getFileName());
                    e.setTime(0); // the same model gives the same archive
                    out.putNextEntry(e);
                    out.write(Files.readAllBytes(f));
                    out.closeEntry();
                }
            }
            return arena;
        } finally {
            try (var listing = Files.list(dir)) {
                for (Path f : listing.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    private static String tables() {
        StringBuilder sb = new StringBuilder();
        sb.append("/* Generated by io.tinyfed.export.CExport from io.tinyfed.core.fixed.ActivationTables\n")
                .append(" * (docs/fixed-point.md section 3: T[k] = clamp(floor(F(-8 + k/16) * 32768 + 0.5)), exp on [-16, 0]).\n")
                .append(" * Do not edit: regenerate with ./tinyfed export c. */\n#include \"tinyfed.h\"\n\n");
        table(sb, "tf_tanh_table", ActivationTables.tanhTable());
        table(sb, "tf_sigmoid_table", ActivationTables.sigmoidTable());
        table(sb, "tf_exp_table", ActivationTables.expTable());
        return sb.toString();
    }

    private static void table(StringBuilder sb, String name, int[] values) {
        sb.append("const int32_t ").append(name).append('[').append(values.length).append("] = {");
        appendValues(sb, values);
        sb.append("};\n\n");
    }

    private static String header(String name, long arena, int params, int tensors, int inputs, int outputs) {
        String upper = name.toUpperCase(Locale.ROOT);
        return "/* Generated by io.tinyfed.export.CExport. Do not edit. */\n"
                + "#ifndef " + upper + "_H\n#define " + upper + "_H\n\n#include \"tinyfed.h\"\n\n"
                + "/** Arena bytes the caller supplies: the Java planner's figure for the exported configuration. */\n"
                + "#define " + upper + "_ARENA_BYTES " + arena + "u\n"
                + "#define " + upper + "_PARAMS " + params + "\n#define " + upper + "_TENSORS " + tensors + "\n"
                + "#define " + upper + "_INPUTS " + inputs + "\n#define " + upper + "_OUTPUTS " + outputs + "\n\n"
                + "extern const tf_model " + name + "_model;\n\n#endif\n";
    }

    private static String source(Model model, String name, Layout layout, long arena, TrainingConfig config) {
        StringBuilder sb = new StringBuilder();
        sb.append("/* Generated by io.tinyfed.export.CExport from an S16 model (")
                .append(model.architecture().name()).append(", ").append(model.parameterCount())
                .append(" parameters). Do not edit. */\n#include \"").append(name).append(".h\"\n\n");
        sb.append("static const int16_t params[").append(model.parameterCount()).append("] = {");
        short[] p = model.s16Parameters();
        int[] widened = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            widened[i] = p[i];
        }
        appendValues(sb, widened);
        sb.append("};\n\n");
        int tensors = model.architecture().tensorCount();
        int[] tf = new int[tensors];
        for (int t = 0; t < tensors; t++) {
            tf[t] = model.tensorFrac(t);
        }
        sb.append("static const int8_t tensor_frac[").append(tensors).append("] = {");
        appendValues(sb, tf);
        sb.append("};\n\n");
        int parametrized = model.architecture().parametrizedLayerCount();
        int[] of = new int[parametrized];
        for (int k = 0; k < parametrized; k++) {
            of[k] = model.outputFrac(k);
        }
        sb.append("static const int8_t output_frac[").append(parametrized).append("] = {");
        appendValues(sb, of);
        sb.append("};\n\n");
        sb.append("static const int32_t tensor_start[").append(layout.tensorStart.length).append("] = {");
        appendValues(sb, layout.tensorStart);
        sb.append("};\n\n");
        List<Layer> layers = model.architecture().layers();
        List<String> rows = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            Layer layer = layers.get(l);
            String kind;
            boolean withParameters = layer.hasParameters();
            int cin = 0;
            int filters = 0;
            int kernel = 0;
            if (layer instanceof Layer.Dense) {
                kind = "TF_DENSE";
            } else if (layer instanceof Layer.Conv1D c) {
                kind = "TF_CONV1D";
                cin = c.inChannels();
                filters = c.filters();
                kernel = c.kernel();
            } else if (layer instanceof Layer.Activation a) {
                kind = switch (a.kind()) {
                    case RELU -> "TF_RELU";
                    case TANH -> "TF_TANH";
                    case SIGMOID -> "TF_SIGMOID";
                    case SOFTMAX -> "TF_SOFTMAX";
                };
            } else {
                throw new IllegalArgumentException("layer " + l + " (" + layer + ") is not exported to C yet");
            }
            rows.add(String.format(Locale.ROOT, "    {%s, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d}", kind, layer.inputSize(),
                    layer.outputSize(), withParameters ? layout.weightOff[l] : -1, withParameters ? layout.biasOff[l] : -1,
                    withParameters ? layout.tensorOf[l] : -1, layout.inOff[l], layout.outOff[l], cin, filters, kernel));
        }
        sb.append("static const tf_layer layers[").append(layers.size()).append("] = {\n")
                .append(String.join(",\n", rows)).append("\n};\n\n");
        sb.append("const tf_model ").append(name).append("_model = {\n")
                .append("    ").append(layers.size()).append(", layers,\n")
                .append("    ").append(model.parameterCount()).append(", params,\n")
                .append("    ").append(tensors).append(", tensor_frac, ").append(model.inputFrac()).append(", output_frac,\n")
                .append("    ").append(model.architecture().inputSize()).append(", ").append(model.architecture().outputSize())
                .append(",\n")
                .append("    ").append(layout.wideLength).append(", ").append(layout.narrowLength).append(", ")
                .append(layout.scalesOff).append(", ").append(layout.weightsOff).append(", ").append(layout.inputOff)
                .append(", ").append(arena).append("u,\n");
        if (layout.training) {
            long lrQ = Math.round((double) config.learningRate() * (1 << 16));
            sb.append("    1, ").append(config.loss() == io.tinyfed.core.Loss.SOFTMAX_CROSS_ENTROPY ? "TF_LOSS_SOFTMAX_CROSS_ENTROPY"
                            : "TF_LOSS_MSE").append(", ").append(layout.rngOff >= 0 ? 1 : 0).append(", ")
                    .append(config.scaleAdaptation() ? 1 : 0).append(", ").append(lrQ).append(", ")
                    .append(Integer.toUnsignedString(io.tinyfed.core.fixed.Xorshift32.initialState(config.seed()))).append("u,\n")
                    .append("    ").append(layout.firstTrainable).append(", ").append(layout.errOff).append(", ")
                    .append(layout.dxOff).append(", ").append(layout.dxLowOff).append(", ").append(layout.rngOff)
                    .append(", tensor_start,\n")
                    .append("    ").append(layout.masterOff).append(", ").append(layout.accOff).append(", ")
                    .append(layout.velOff).append(", ").append(layout.batchOff).append(", ").append(layout.trainStart)
                    .append(", ").append(config.accumulationSteps()).append(", ")
                    .append(Math.round(config.momentum() * (1 << io.tinyfed.core.kernels.Kernels.LR_FRAC))).append(",\n")
                    .append("    ").append(layout.residualOff).append(", ").append(layout.residualFracOff).append("\n};\n");
        } else {
            sb.append("    0, 0, 0, 0, 0, 0u, -1, -1, -1, -1, -1, tensor_start,\n    -1, -1, -1, -1, ")
                    .append(model.parameterCount()).append(", 1, 0,\n    ").append(layout.residualOff).append(", ")
                    .append(layout.residualFracOff).append("\n};\n");
        }
        return sb.toString();
    }

    private static void appendValues(StringBuilder sb, int[] values) {
        for (int i = 0; i < values.length; i++) {
            sb.append(i % 16 == 0 ? "\n    " : " ").append(values[i]).append(i + 1 < values.length ? "," : "");
        }
        sb.append('\n');
    }
}
