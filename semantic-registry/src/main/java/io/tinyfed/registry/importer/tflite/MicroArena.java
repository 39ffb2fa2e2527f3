package io.tinyfed.registry.importer.tflite;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The tensor arena TensorFlow Lite Micro's interpreter takes for a model, laid out as its
 * {@code MicroAllocator} lays it out when the application calls {@code AllocateTensors()}.
 *
 * <p>The arena has two ends. The <b>head</b> holds what lives only during an invocation: every
 * activation tensor and every kernel scratch buffer, placed by TFLite Micro's greedy memory planner
 * ({@link #plan}) over their lifetimes, each size rounded up to 16 bytes. While the kernels prepare and
 * while the plan is made, the head also holds temporary structures; the head is the largest of the three.
 * The <b>tail</b> holds what persists: one {@code TfLiteEvalTensor} per tensor, one node-and-registration
 * struct per operator, each operator's builtin parameters and kernel op data (with per-channel
 * quantization arrays, 16-byte aligned), variable tensors (e.g. an SVDF's state), the input and output
 * {@code TfLiteTensor}s with their quantization, and the interpreter's own allocator objects.
 *
 * <p>Struct sizes follow from the target's pointer width and from whether the build defines
 * {@code TF_LITE_STATIC_MEMORY} (TFLite Micro's make build for microcontrollers does). Kernel op data and
 * scratch sizes follow the reference kernels or CMSIS-NN's (Cortex-M) ones. What this cannot know
 * (an operator without a model here, custom operators) is listed in {@link Estimate#assumptions()}.
 */
public final class MicroArena {
    /** TFLite Micro's {@code MicroArenaBufferAlignment()}: every planned buffer and persistent buffer. */
    static final int ALIGNMENT = 16;

    /** The build a figure is for. */
    public enum Target {
        /** A 32-bit microcontroller build with {@code TF_LITE_STATIC_MEMORY} (TFLite Micro's make build). */
        CORTEX_M(4, true),
        /** x86-64 without {@code TF_LITE_STATIC_MEMORY}: TFLite Micro's default bazel test build. */
        X86_64(8, false),
        /** x86-64 with {@code TF_LITE_STATIC_MEMORY}. */
        X86_64_STATIC(8, true);

        final int pointer;
        final boolean staticMemory;

        Target(int pointer, boolean staticMemory) {
            this.pointer = pointer;
            this.staticMemory = staticMemory;
        }

        int evalTensor() { // data, dims, type
            return align(2 * pointer + 4, pointer);
        }

        int nodeAndRegistration() { // inputs, outputs, intermediates, user_data, builtin_data, custom data + size
            int node = align(6 * pointer + 4, pointer);
            if (!staticMemory) { // temporaries, delegate, might_have_side_effect
                node = align(node + 2 * pointer + 1, pointer);
            }
            return node + pointer; // the registration pointer
        }

        int tfLiteTensor() {
            if (!staticMemory) {
                return pointer == 8 ? 112 : 64;
            }
            // data, dims, params (scale, zero point), quantization (type, params), bytes, type, allocation type, is_variable
            return align(2 * pointer + 8 + align(4, pointer) + pointer + pointer + 4 + 4 + 1, pointer);
        }

        /** A TfLiteAffineQuantization and its zero-point array, as the allocator copies them per tensor. */
        int quantization(int channels) {
            return align(2 * pointer + 4, pointer) + align(4 + 4 * channels, Math.min(pointer, 8));
        }

        int allocationInfo() { // bytes, output_ptr, first_created, last_used, offline_offset, needs_allocating
            return align(2 * pointer + 13, pointer);
        }

        int word() {
            return pointer;
        }
    }

    /** Which kernel implementations the firmware links: their op data and scratch buffers differ. */
    public enum Kernels { REFERENCE, CMSIS_NN }

    /**
     * Where the bytes go; {@link #total()} is the arena size to give the interpreter.
     *
     * @param planned     the greedy plan of activations and scratch buffers
     * @param scratch     of which kernel scratch buffers (their sum, before planning)
     * @param head        the planned head or the larger temporary use during preparation or planning
     * @param tail        every persistent allocation except the interpreter's own objects
     * @param interpreter the allocator, planner and subgraph bookkeeping the interpreter places in the arena
     * @param assumptions operators this estimate had to guess for, one line each
     */
    public record Estimate(long planned, long scratch, long head, long tail, long variables, long interpreter,
                           List<String> assumptions) {
        /** What the model itself takes: TFLite Micro's memory threshold test calls it "model only". */
        public long modelOnly() {
            return head + tail;
        }

        public long total() {
            return head + tail + interpreter;
        }
    }

    private MicroArena() {
    }

    /** The arena {@code model} takes on {@code target} with {@code kernels}. */
    public static Estimate estimate(TfliteModel model, Target target, Kernels kernels) {
        List<TfliteModel.Tensor> tensors = model.tensors();
        List<TfliteModel.Operator> ops = model.operators();
        List<String> assumptions = new ArrayList<>();
        TreeSet<String> unknown = new TreeSet<>();

        // Lifetimes in allocation scopes: graph inputs are created at scope 0, operator i runs in scope i + 1.
        int[] first = new int[tensors.size()];
        int[] last = new int[tensors.size()];
        Arrays.fill(first, -1);
        Arrays.fill(last, -1);
        for (int i : model.inputs()) {
            if (first[i] < 0) {
                first[i] = 0;
            }
        }
        List<long[]> scratch = new ArrayList<>(); // {bytes, scope}
        long scratchBytes = 0;
        for (int k = 0; k < ops.size(); k++) {
            int scope = k + 1;
            TfliteModel.Operator op = ops.get(k);
            for (int t : op.outputs()) {
                if (first[t] < 0) {
                    first[t] = scope;
                }
            }
            for (int t : op.inputs()) {
                if (t >= 0) {
                    last[t] = scope;
                }
            }
            for (int t : op.outputs()) {
                last[t] = scope;
            }
            for (long bytes : scratchBuffers(model, op, kernels)) {
                scratch.add(new long[] {bytes, scope});
                scratchBytes += bytes;
            }
        }
        for (int o : model.outputs()) {
            last[o] = ops.size();
        }

        List<long[]> buffers = new ArrayList<>(); // {size, first, last}, in TFLite Micro's order: tensors, then scratch
        long variables = 0;
        for (int t = 0; t < tensors.size(); t++) {
            TfliteModel.Tensor tensor = tensors.get(t);
            if (tensor.variable()) {
                variables += align(tensor.bytes(), ALIGNMENT);
            } else if (!tensor.constant() && tensor.bytes() > 0 && first[t] >= 0 && last[t] >= 0) {
                buffers.add(new long[] {align(tensor.bytes(), ALIGNMENT), first[t], last[t]});
            }
        }
        for (long[] s : scratch) {
            buffers.add(new long[] {align(s[0], ALIGNMENT), s[1], s[1]});
        }
        long planned = plan(buffers);

        // Temporary use of the head: kernels preparing (a TfLiteTensor per input and output they read), and
        // the planner's working arrays while it plans.
        long preparing = 0;
        for (TfliteModel.Operator op : ops) {
            long temp = 0;
            for (int t : concat(op.inputs(), op.outputs())) {
                if (t >= 0) {
                    TfliteModel.Tensor tensor = tensors.get(t);
                    temp += target.tfLiteTensor() + (tensor.quantized() ? target.quantization(tensor.channels()) : 0);
                }
            }
            preparing = Math.max(preparing, temp);
        }
        long planning = align((long) target.allocationInfo() * (tensors.size() + scratch.size()), target.word())
                + target.word() + 40L * buffers.size();
        long head = Math.max(planned, Math.max(preparing, planning));

        long tail = (long) target.evalTensor() * tensors.size() + (long) target.nodeAndRegistration() * ops.size();
        for (TfliteModel.Operator op : ops) {
            tail += builtinData(op.op());
            tail += opData(model, op, target, kernels, unknown);
        }
        if (!scratch.isEmpty()) {
            tail += align((long) target.word() * scratch.size(), ALIGNMENT); // scratch buffer handles
        }
        tail += align((long) target.word() * model.inputs().size(), ALIGNMENT)
                + align((long) target.word() * model.outputs().size(), ALIGNMENT);
        for (int t : concat(model.inputs().stream().mapToInt(Integer::intValue).toArray(),
                model.outputs().stream().mapToInt(Integer::intValue).toArray())) {
            TfliteModel.Tensor tensor = tensors.get(t);
            tail += target.tfLiteTensor() + (tensor.quantized() ? target.quantization(tensor.channels()) : 0);
        }
        tail += variables;
        // The buffer allocator, the allocator, the planner, the builtin-data allocator, one subgraph's bookkeeping.
        long interpreter = align(12L * target.word(), ALIGNMENT) + align(12L * target.word(), ALIGNMENT)
                + align(12L * target.word(), ALIGNMENT) + align(3L * target.word(), ALIGNMENT)
                + align(2L * target.word(), ALIGNMENT);
        for (String op : unknown) {
            assumptions.add("no op-data model for " + op + "; " + UNKNOWN_OP_DATA + " B assumed");
        }
        return new Estimate(planned, scratchBytes, head, tail, variables, interpreter, List.copyOf(assumptions));
    }

    /**
     * TFLite Micro's greedy memory planner: buffers in descending size (equal sizes: the later-added
     * first), each placed at the lowest offset where it fits between the buffers already placed that are
     * live at the same time. Returns the plan's extent.
     *
     * @param buffers {size, first scope, last scope} each, in the order the allocator adds them
     */
    static long plan(List<long[]> buffers) {
        int n = buffers.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = n - 1 - i; // the allocator fills its sort array from the back
        }
        Arrays.sort(order, (a, b) -> Long.compare(buffers.get(b)[0], buffers.get(a)[0])); // stable
        List<long[]> placed = new ArrayList<>(); // {offset, size, first, last}, by offset
        long extent = 0;
        for (int id : order) {
            long[] want = buffers.get(id);
            long candidate = 0;
            for (long[] p : placed) {
                if (p[2] > want[2] || want[1] > p[3]) {
                    continue; // not live at the same time
                }
                if (p[0] - candidate >= want[0]) {
                    break; // the gap before this one is big enough
                }
                candidate = Math.max(candidate, p[0] + p[1]);
            }
            long[] entry = {candidate, want[0], want[1], want[2]};
            int at = 0;
            while (at < placed.size() && placed.get(at)[0] <= candidate) {
                at++;
            }
            placed.add(at, entry);
            extent = Math.max(extent, candidate + want[0]);
        }
        return extent;
    }

    /** Bytes of the builtin parameter struct the allocator parses for an operator (4-byte fields). */
    private static final Map<String, Integer> BUILTIN_DATA = Map.ofEntries(
            Map.entry("CONV_2D", 28), Map.entry("DEPTHWISE_CONV_2D", 28), Map.entry("TRANSPOSE_CONV", 24),
            Map.entry("AVERAGE_POOL_2D", 40), Map.entry("MAX_POOL_2D", 40), Map.entry("L2_POOL_2D", 40),
            Map.entry("FULLY_CONNECTED", 16), Map.entry("RESHAPE", 36), Map.entry("SQUEEZE", 36),
            Map.entry("SOFTMAX", 4), Map.entry("SVDF", 12), Map.entry("ADD", 8), Map.entry("SUB", 8),
            Map.entry("MUL", 4), Map.entry("DIV", 4), Map.entry("CONCATENATION", 8), Map.entry("PACK", 8),
            Map.entry("UNPACK", 8), Map.entry("SPLIT", 4), Map.entry("SPLIT_V", 4), Map.entry("GATHER", 8),
            Map.entry("MEAN", 4), Map.entry("SUM", 4), Map.entry("REDUCE_MAX", 4), Map.entry("STRIDED_SLICE", 24),
            Map.entry("LEAKY_RELU", 4), Map.entry("L2_NORMALIZATION", 4), Map.entry("RESIZE_BILINEAR", 8),
            Map.entry("RESIZE_NEAREST_NEIGHBOR", 8), Map.entry("UNIDIRECTIONAL_SEQUENCE_LSTM", 24),
            Map.entry("LSTM", 20), Map.entry("SHAPE", 4), Map.entry("CAST", 8), Map.entry("BATCH_MATMUL", 8));

    private static int builtinData(String op) {
        return BUILTIN_DATA.getOrDefault(op, 0);
    }

    /** Op data of kernels that keep none in the arena. */
    private static final java.util.Set<String> NO_OP_DATA = java.util.Set.of("RESHAPE", "SQUEEZE", "EXPAND_DIMS",
            "SHAPE", "CAST", "FLOOR", "CEIL", "ABS", "NEG", "SQRT", "RSQRT", "SQUARE", "LOG", "EXP", "SIN", "COS",
            "LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT", "ZEROS_LIKE", "FILL", "GATHER", "GATHER_ND", "PACK",
            "UNPACK", "SPLIT", "SPLIT_V", "TRANSPOSE", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "MAXIMUM",
            "MINIMUM", "ARG_MAX", "ARG_MIN", "EQUAL", "NOT_EQUAL", "LESS", "GREATER", "LESS_EQUAL", "GREATER_EQUAL");

    static final int UNKNOWN_OP_DATA = 64;

    /**
     * {ints before the pointers, pointers, ints after, CMSIS-NN extra ints} of a kernel's OpData struct:
     * its size follows from the target's pointer width.
     */
    private static final Map<String, int[]> OP_DATA = Map.ofEntries(
            Map.entry("CONV_2D", new int[] {9, 2, 3, 1}), Map.entry("DEPTHWISE_CONV_2D", new int[] {9, 2, 3, 1}),
            Map.entry("TRANSPOSE_CONV", new int[] {9, 3, 4, 1}), Map.entry("FULLY_CONNECTED", new int[] {7, 2, 1, 1}),
            Map.entry("AVERAGE_POOL_2D", new int[] {8, 0, 0, 1}), Map.entry("MAX_POOL_2D", new int[] {8, 0, 0, 0}),
            Map.entry("SOFTMAX", new int[] {8, 4, 0, 0}), Map.entry("QUANTIZE", new int[] {7, 0, 0, 0}),
            Map.entry("DEQUANTIZE", new int[] {7, 0, 0, 0}), Map.entry("SVDF", new int[] {9, 0, 0, 0}),
            Map.entry("ADD", new int[] {17, 0, 0, 0}), Map.entry("SUB", new int[] {17, 0, 0, 0}),
            Map.entry("MUL", new int[] {9, 0, 0, 0}), Map.entry("LOGISTIC", new int[] {5, 0, 0, 0}),
            Map.entry("TANH", new int[] {6, 0, 0, 0}), Map.entry("RELU", new int[] {5, 0, 0, 0}),
            Map.entry("RELU6", new int[] {4, 0, 0, 0}), Map.entry("LEAKY_RELU", new int[] {5, 0, 0, 0}),
            Map.entry("HARD_SWISH", new int[] {8, 0, 0, 0}), Map.entry("PAD", new int[] {20, 0, 0, 0}),
            Map.entry("PADV2", new int[] {20, 0, 0, 0}), Map.entry("CONCATENATION", new int[] {4, 2, 0, 0}),
            Map.entry("MEAN", new int[] {12, 0, 0, 0}), Map.entry("SUM", new int[] {12, 0, 0, 0}),
            Map.entry("REDUCE_MAX", new int[] {12, 0, 0, 0}), Map.entry("STRIDED_SLICE", new int[] {20, 0, 0, 0}),
            Map.entry("L2_NORMALIZATION", new int[] {3, 0, 0, 0}), Map.entry("PRELU", new int[] {8, 0, 0, 0}),
            Map.entry("RESIZE_BILINEAR", new int[] {0, 0, 0, 0}), Map.entry("RESIZE_NEAREST_NEIGHBOR", new int[] {0, 0, 0, 0}));

    private static long opData(TfliteModel model, TfliteModel.Operator op, Target target, Kernels kernels,
                               java.util.Set<String> unknown) {
        if (NO_OP_DATA.contains(op.op())) {
            return 0;
        }
        int[] shape = OP_DATA.get(op.op());
        if (shape == null) {
            unknown.add(op.op());
            return UNKNOWN_OP_DATA;
        }
        int p = target.word();
        int after = shape[2] + (kernels == Kernels.CMSIS_NN ? shape[3] : 0);
        int structAlign = shape[1] > 0 ? p : 4;
        long size = align(align(4L * shape[0], structAlign) + (long) p * shape[1] + 4L * after, structAlign);
        if (size == 0) {
            return 0;
        }
        long total = align(size, ALIGNMENT);
        // Per-channel multipliers and shifts, one int32 each per output channel.
        int channels = perChannelArrays(model, op);
        if (channels > 0) {
            total += 2 * align(4L * channels, ALIGNMENT);
        }
        if (op.op().equals("SOFTMAX") && op.inputs().length > 0
                && model.tensors().get(op.inputs()[0]).type() == TfliteModel.TensorType.INT16) {
            total += 2 * align(513L * 2, ALIGNMENT); // exp and 1/(1+x) lookup tables
        }
        return total;
    }

    /** Output channels whose requantisation the kernel keeps per channel (0 for none). */
    private static int perChannelArrays(TfliteModel model, TfliteModel.Operator op) {
        if (op.inputs().length < 2 || op.inputs()[1] < 0 || op.outputs().length < 1) {
            return 0;
        }
        TfliteModel.Tensor filter = model.tensors().get(op.inputs()[1]);
        TfliteModel.Tensor output = model.tensors().get(op.outputs()[0]);
        if (!filter.quantized() || output.type() == TfliteModel.TensorType.FLOAT32) {
            return 0;
        }
        int[] out = output.shape();
        int outChannels = out.length == 0 ? 1 : Math.max(1, out[out.length - 1]);
        return switch (op.op()) {
            case "CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV" -> outChannels;
            case "FULLY_CONNECTED" -> filter.channels() > 1 ? outChannels : 0;
            default -> 0;
        };
    }

    /** Scratch buffers a kernel requests in Prepare, in bytes each. */
    private static long[] scratchBuffers(TfliteModel model, TfliteModel.Operator op, Kernels kernels) {
        List<TfliteModel.Tensor> t = model.tensors();
        if (op.inputs().length == 0 || op.inputs()[0] < 0 || op.outputs().length == 0) {
            return new long[0];
        }
        TfliteModel.Tensor input = t.get(op.inputs()[0]);
        TfliteModel.Tensor output = t.get(op.outputs()[0]);
        boolean integer = input.type() == TfliteModel.TensorType.INT8 || input.type() == TfliteModel.TensorType.INT16;
        switch (op.op()) {
            case "SVDF" -> {
                if (op.inputs().length < 2) {
                    return new long[0];
                }
                int[] features = t.get(op.inputs()[1]).shape(); // [filters, input size]
                int[] in = input.shape();
                long batch = in.length > 0 ? Math.max(1, in[0]) : 1;
                long filters = features.length > 0 ? features[0] : 0;
                int[] out = output.shape();
                long units = out.length > 0 ? out[out.length - 1] : 0;
                return integer ? new long[] {batch * filters * 4, batch * units * 4} : new long[] {batch * filters * 4};
            }
            case "CONV_2D" -> {
                if (kernels != Kernels.CMSIS_NN || !integer || op.inputs().length < 2) {
                    return new long[0];
                }
                int[] w = t.get(op.inputs()[1]).shape(); // [out, kh, kw, in]
                if (w.length != 4 || (w[1] == 1 && w[2] == 1)) {
                    return new long[0];
                }
                long cols = (long) w[1] * w[2] * w[3];
                long aligned = (cols + 3) / 4 * 4;
                return new long[] {2 * aligned * 2};
            }
            case "DEPTHWISE_CONV_2D" -> {
                if (kernels != Kernels.CMSIS_NN || !integer || op.inputs().length < 2) {
                    return new long[0];
                }
                int[] w = t.get(op.inputs()[1]).shape(); // [1, kh, kw, out]
                int[] in = input.shape();
                if (w.length != 4 || in.length != 4) {
                    return new long[0];
                }
                boolean multiplierOne = w[3] == in[3];
                if (!multiplierOne || (w[1] == 3 && w[2] == 3)) {
                    return new long[0]; // the generic and the 3x3 kernels need none
                }
                return new long[] {(long) in[3] * w[1] * w[2] * 2};
            }
            case "AVERAGE_POOL_2D" -> {
                int[] in = input.shape();
                return kernels == Kernels.CMSIS_NN && integer && in.length == 4 ? new long[] {4L * in[3]} : new long[0];
            }
            default -> {
                return new long[0];
            }
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static long align(long bytes, int to) {
        return (bytes + to - 1) / to * to;
    }

    private static int align(int bytes, int to) {
        return (bytes + to - 1) / to * to;
    }
}
