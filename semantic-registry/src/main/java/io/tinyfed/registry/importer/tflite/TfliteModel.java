package io.tinyfed.registry.importer.tflite;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * What the registry reads from a {@code .tflite} file (the TensorFlow Lite FlatBuffers schema,
 * identifier {@code TFL3}): the main subgraph's tensors and operators, buffer sizes, and the
 * figures derived from them (parameters, MACs; the arena is {@link MicroArena}'s).
 */
public record TfliteModel(int schemaVersion, String description, List<Tensor> tensors, List<Operator> operators,
                          List<Integer> inputs, List<Integer> outputs, long fileBytes) {

    /**
     * @param constant whether the tensor's buffer holds data (weights, biases, constants)
     * @param variable whether it is state kept between invocations (e.g. an SVDF's activation state)
     * @param channels how many quantization scales it has (0 unquantized, 1 per-tensor, N per-channel)
     */
    public record Tensor(String name, TensorType type, int[] shape, boolean constant, boolean variable, int channels) {
        public boolean quantized() {
            return channels > 0;
        }

        public long elements() {
            long n = 1;
            for (int d : shape) {
                n *= Math.max(1, d); // -1 (dynamic batch) counts as 1
            }
            return n;
        }

        public long bytes() {
            return (elements() * type.bits() + 7) / 8;
        }
    }

    /** @param activation the fused activation, NONE when there is none or the operator has no such option */
    public record Operator(String op, int[] inputs, int[] outputs, Activation activation) {
    }

    public enum Activation { NONE, RELU, RELU_N1_TO_1, RELU6, TANH, SIGN_BIT }

    public enum TensorType {
        FLOAT32(32), FLOAT16(16), INT32(32), UINT8(8), INT64(64), STRING(8), BOOL(8), INT16(16), COMPLEX64(64),
        INT8(8), FLOAT64(64), COMPLEX128(128), UINT64(64), RESOURCE(0), VARIANT(0), UINT32(32), UINT16(16), INT4(4);

        private final int bits;

        TensorType(int bits) {
            this.bits = bits;
        }

        public int bits() {
            return bits;
        }
    }

    private static final String[] OPS = ("ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE "
            + "EMBEDDING_LOOKUP FLOOR FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D "
            + "LOCAL_RESPONSE_NORMALIZATION LOGISTIC LSH_PROJECTION LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 RESHAPE "
            + "RESIZE_BILINEAR RNN SOFTMAX SPACE_TO_DEPTH SVDF TANH CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM "
            + "EMBEDDING_LOOKUP_SPARSE PAD UNIDIRECTIONAL_SEQUENCE_RNN GATHER BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND TRANSPOSE "
            + "MEAN SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT "
            + "LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM ARG_MAX MINIMUM LESS NEG PADV2 GREATER "
            + "GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV SPARSE_TO_DENSE TILE EXPAND_DIMS EQUAL NOT_EQUAL LOG "
            + "SUM SQRT RSQRT SHAPE POW ARG_MIN FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK LOGICAL_OR ONE_HOT LOGICAL_AND "
            + "LOGICAL_NOT UNPACK REDUCE_MIN FLOOR_DIV REDUCE_ANY SQUARE ZEROS_LIKE FILL FLOOR_MOD RANGE "
            + "RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS SPLIT_V UNIQUE CEIL REVERSE_V2 ADD_N "
            + "GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE MATRIX_SET_DIAG ROUND HARD_SWISH IF WHILE "
            + "NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND SELECT_V2 DENSIFY SEGMENT_SUM BATCH_MATMUL "
            + "PLACEHOLDER_FOR_GREATER_OP_CODES CUMSUM CALL_ONCE BROADCAST_TO RFFT2D CONV_3D IMAG REAL COMPLEX_ABS HASHTABLE "
            + "HASHTABLE_FIND HASHTABLE_IMPORT HASHTABLE_SIZE REDUCE_ALL CONV_3D_TRANSPOSE VAR_HANDLE READ_VARIABLE "
            + "ASSIGN_VARIABLE BROADCAST_ARGS RANDOM_STANDARD_NORMAL BUCKETIZE RANDOM_UNIFORM MULTINOMIAL GELU "
            + "DYNAMIC_UPDATE_SLICE RELU_0_TO_1 UNSORTED_SEGMENT_PROD UNSORTED_SEGMENT_MAX UNSORTED_SEGMENT_SUM ATAN2 "
            + "UNSORTED_SEGMENT_MIN COMPLEX SIGN BITCAST BITWISE_XOR RIGHT_SHIFT").split(" ");

    /** BuiltinOptions union tags whose table stores fused_activation_function, and that field's id. */
    private static final int OPTIONS_CONV2D = 1;
    private static final int OPTIONS_DEPTHWISE = 2;
    private static final int OPTIONS_POOL2D = 5;
    private static final int OPTIONS_FULLY_CONNECTED = 8;
    private static final int OPTIONS_ADD = 11;

    /**
     * Parses a .tflite file.
     *
     * @throws IllegalArgumentException with the reason if it is not a readable TFLite model
     */
    public static TfliteModel parse(byte[] file) {
        if (file.length < 8 || file[4] != 'T' || file[5] != 'F' || file[6] != 'L' || file[7] != '3') {
            throw new IllegalArgumentException("not a TFLite flatbuffer (file identifier 'TFL3' missing)");
        }
        try {
            ByteBuffer bb = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
            FlatTable model = FlatTable.root(bb);
            List<String> opNames = new ArrayList<>();
            for (int i = 0; i < model.length(1); i++) {
                FlatTable code = model.tableAt(1, i);
                int builtin = Math.max(code.int8(0, (byte) 0), code.int32(3, 0));
                String name = builtin >= 0 && builtin < OPS.length ? OPS[builtin] : "BUILTIN_" + builtin;
                if ("CUSTOM".equals(name) && code.string(1) != null) {
                    name = "CUSTOM:" + code.string(1);
                }
                opNames.add(name);
            }
            List<Boolean> bufferHasData = new ArrayList<>();
            for (int i = 0; i < model.length(4); i++) {
                FlatTable buffer = model.tableAt(4, i);
                bufferHasData.add(buffer.length(0) > 0 || buffer.uint64(2) > 0);
            }
            if (model.length(2) < 1) {
                throw new IllegalArgumentException("the model has no subgraph");
            }
            FlatTable graph = model.tableAt(2, 0);
            List<Tensor> tensors = new ArrayList<>();
            for (int i = 0; i < graph.length(0); i++) {
                FlatTable t = graph.tableAt(0, i);
                int[] shape = new int[t.length(0)];
                for (int d = 0; d < shape.length; d++) {
                    shape[d] = t.intAt(0, d);
                }
                int type = t.int8(1, (byte) 0);
                if (type < 0 || type >= TensorType.values().length) {
                    throw new IllegalArgumentException("tensor " + i + " has unknown type " + type);
                }
                long buffer = t.uint32(2);
                boolean constant = buffer > 0 && buffer < bufferHasData.size() && bufferHasData.get((int) buffer);
                FlatTable q = t.table(4);
                tensors.add(new Tensor(t.string(3), TensorType.values()[type], shape, constant, t.int8(5, (byte) 0) != 0,
                        q == null ? 0 : q.length(2)));
            }
            List<Operator> operators = new ArrayList<>();
            for (int i = 0; i < graph.length(3); i++) {
                FlatTable op = graph.tableAt(3, i);
                int code = (int) op.uint32(0);
                if (code >= opNames.size()) {
                    throw new IllegalArgumentException("operator " + i + " refers to operator code " + code + " of " + opNames.size());
                }
                operators.add(new Operator(opNames.get(code), ints(op, 1, tensors.size()), ints(op, 2, tensors.size()),
                        activation(op)));
            }
            return new TfliteModel((int) model.uint32(0), model.string(3), List.copyOf(tensors), List.copyOf(operators),
                    boxed(ints(graph, 1, tensors.size())), boxed(ints(graph, 2, tensors.size())), file.length);
        } catch (IndexOutOfBoundsException | java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated or corrupt TFLite flatbuffer (" + e.getMessage() + ")", e);
        }
    }

    private static int[] ints(FlatTable t, int field, int tensorCount) {
        int[] out = new int[t.length(field)];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.intAt(field, i);
            if (out[i] >= tensorCount) {
                throw new IllegalArgumentException("tensor index " + out[i] + " out of range (" + tensorCount + " tensors)");
            }
        }
        return out;
    }

    private static List<Integer> boxed(int[] a) {
        List<Integer> out = new ArrayList<>();
        for (int v : a) {
            out.add(v);
        }
        return List.copyOf(out);
    }

    private static Activation activation(FlatTable op) {
        int type = op.int8(3, (byte) 0) & 0xFF;
        int field = switch (type) {
            case OPTIONS_CONV2D -> 3;
            case OPTIONS_DEPTHWISE -> 4;
            case OPTIONS_POOL2D -> 5;
            case OPTIONS_FULLY_CONNECTED, OPTIONS_ADD -> 0;
            default -> -1;
        };
        FlatTable options = field < 0 ? null : op.table(4);
        if (options == null) {
            return Activation.NONE;
        }
        int a = options.int8(field, (byte) 0);
        return a >= 0 && a < Activation.values().length ? Activation.values()[a] : Activation.NONE;
    }

    /** Elements of all constant tensors (weights, biases, lookup tables). */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : tensors) {
            if (t.constant()) {
                n += t.elements();
            }
        }
        return n;
    }

    /** Multiply-accumulates of the convolutions, depthwise convolutions and fully connected layers. */
    public long macs() {
        long macs = 0;
        for (Operator op : operators) {
            if (op.inputs().length < 2 || op.outputs().length < 1 || op.inputs()[1] < 0) {
                continue;
            }
            Tensor weights = tensors.get(op.inputs()[1]);
            long out = tensors.get(op.outputs()[0]).elements();
            int[] w = weights.shape();
            switch (op.op()) {
                case "CONV_2D" -> macs += w.length == 4 ? out * w[1] * w[2] * w[3] : 0; // [out, kh, kw, in]
                case "DEPTHWISE_CONV_2D" -> macs += w.length == 4 ? out * w[1] * w[2] : 0; // [1, kh, kw, out]
                case "FULLY_CONNECTED" -> macs += w.length == 2 ? out * w[1] : 0; // [units, in]
                default -> { }
            }
        }
        return macs;
    }
}
