package io.tinyfed.registry.importer.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.tinyfed.registry.importer.tflite.TfliteModel.Activation;
import io.tinyfed.registry.importer.tflite.TfliteModel.Operator;
import io.tinyfed.registry.importer.tflite.TfliteModel.Tensor;
import io.tinyfed.registry.importer.tflite.TfliteModel.TensorType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The arena estimate against TensorFlow Lite Micro's own measured figures. The reference is TFLite
 * Micro's memory threshold test ({@code tensorflow/lite/micro/memory_arena_threshold_test.cc}), which
 * records what its allocator takes for its test convolution model on x86-64, with and without
 * {@code TF_LITE_STATIC_MEMORY}: 7,744 B head, 1,928 B (1,672 B) tail, 9,832 B (9,576 B) model-only total.
 * The model's graph below is that of {@code test_conv_model.cc}, read from its flatbuffer: int8 input
 * 16x16x1, two 3x3 convolutions (16 and 32 channels, per-channel quantised), 2x2 max pooling, a
 * reshape and a 10-unit fully connected layer.
 */
class MicroArenaTest {
    static final long HEAD = 7744;
    static final long MODEL_ONLY = 9832;
    static final long MODEL_ONLY_STATIC = 9576;
    static final long TAIL = 1928;
    static final long TAIL_STATIC = 1672;

    /** The threshold test's convolution model (13 tensors, 5 operators). */
    static TfliteModel testConvModel() {
        List<Tensor> t = new ArrayList<>();
        t.add(new Tensor("serving_default_conv2d_input:0", TensorType.INT8, new int[] {1, 16, 16, 1}, false, false, 1)); // 0
        t.add(new Tensor("conv2d/Conv2D", TensorType.INT8, new int[] {16, 3, 3, 1}, true, false, 16));
        t.add(new Tensor("conv2d/BiasAdd", TensorType.INT32, new int[] {16}, true, false, 16));
        t.add(new Tensor("conv2d/Relu", TensorType.INT8, new int[] {1, 14, 14, 16}, false, false, 1)); // 3
        t.add(new Tensor("conv2d_1/Conv2D", TensorType.INT8, new int[] {32, 3, 3, 16}, true, false, 32));
        t.add(new Tensor("conv2d_1/BiasAdd", TensorType.INT32, new int[] {32}, true, false, 32));
        t.add(new Tensor("conv2d_1/Relu", TensorType.INT8, new int[] {1, 12, 12, 32}, false, false, 1)); // 6
        t.add(new Tensor("max_pooling2d/MaxPool", TensorType.INT8, new int[] {1, 6, 6, 32}, false, false, 1)); // 7
        t.add(new Tensor("flatten/Const", TensorType.INT32, new int[] {2}, true, false, 0));
        t.add(new Tensor("flatten/Reshape", TensorType.INT8, new int[] {1, 1152}, false, false, 1)); // 9
        t.add(new Tensor("dense/MatMul", TensorType.INT8, new int[] {10, 1152}, true, false, 1));
        t.add(new Tensor("dense/BiasAdd", TensorType.INT32, new int[] {10}, true, false, 1));
        t.add(new Tensor("StatefulPartitionedCall:0", TensorType.INT8, new int[] {1, 10}, false, false, 1)); // 12
        List<Operator> ops = List.of(
                new Operator("CONV_2D", new int[] {0, 1, 2}, new int[] {3}, Activation.RELU),
                new Operator("CONV_2D", new int[] {3, 4, 5}, new int[] {6}, Activation.RELU),
                new Operator("MAX_POOL_2D", new int[] {6}, new int[] {7}, Activation.NONE),
                new Operator("RESHAPE", new int[] {7, 8}, new int[] {9}, Activation.NONE),
                new Operator("FULLY_CONNECTED", new int[] {9, 10, 11}, new int[] {12}, Activation.NONE));
        return new TfliteModel(3, "test conv model", t, ops, List.of(0), List.of(12), 20624);
    }

    @Test
    void plan_isTfliteMicrosHeadExactly() {
        MicroArena.Estimate x86 = MicroArena.estimate(testConvModel(), MicroArena.Target.X86_64, MicroArena.Kernels.REFERENCE);
        assertThat(x86.planned()).isEqualTo(HEAD);
        assertThat(x86.head()).isEqualTo(HEAD);
    }

    @Test
    void modelOnly_isWithinFivePercentOfTfliteMicrosMeasuredArena() {
        MicroArena.Estimate x86 = MicroArena.estimate(testConvModel(), MicroArena.Target.X86_64, MicroArena.Kernels.REFERENCE);
        MicroArena.Estimate x86Static = MicroArena.estimate(testConvModel(), MicroArena.Target.X86_64_STATIC,
                MicroArena.Kernels.REFERENCE);
        System.out.printf("test conv model, x86-64: estimate %d B, TFLite Micro %d B (%+.1f%%); tail %d vs %d%n",
                x86.modelOnly(), MODEL_ONLY, 100.0 * (x86.modelOnly() - MODEL_ONLY) / MODEL_ONLY, x86.tail(), TAIL);
        System.out.printf("test conv model, x86-64 static memory: estimate %d B, TFLite Micro %d B (%+.1f%%); tail %d vs %d%n",
                x86Static.modelOnly(), MODEL_ONLY_STATIC,
                100.0 * (x86Static.modelOnly() - MODEL_ONLY_STATIC) / MODEL_ONLY_STATIC, x86Static.tail(), TAIL_STATIC);
        assertThat((double) x86.modelOnly()).isCloseTo(MODEL_ONLY, within(MODEL_ONLY * 0.05));
        assertThat((double) x86Static.modelOnly()).isCloseTo(MODEL_ONLY_STATIC, within(MODEL_ONLY_STATIC * 0.05));
        assertThat((double) x86.tail()).isCloseTo(TAIL, within(TAIL * 0.10));
        assertThat((double) x86Static.tail()).isCloseTo(TAIL_STATIC, within(TAIL_STATIC * 0.10));
        assertThat(x86.assumptions()).isEmpty();
    }

    @Test
    void cortexM_isSmallerThanX86ButNotBelowTheActivations() {
        MicroArena.Estimate m4 = MicroArena.estimate(testConvModel(), MicroArena.Target.CORTEX_M, MicroArena.Kernels.CMSIS_NN);
        MicroArena.Estimate x86 = MicroArena.estimate(testConvModel(), MicroArena.Target.X86_64_STATIC,
                MicroArena.Kernels.REFERENCE);
        // CMSIS-NN's 3x3 convolutions take an im2col scratch buffer: 2 x (3*3*16 rounded to 4) int16 for the second.
        assertThat(m4.scratch()).isEqualTo(2L * 12 * 2 + 2L * 144 * 2);
        assertThat(m4.tail()).isLessThan(x86.tail());
        assertThat(m4.head()).isGreaterThanOrEqualTo(HEAD);
        assertThat(m4.total()).isGreaterThan(m4.modelOnly());
        System.out.printf("test conv model, Cortex-M + CMSIS-NN: %d B (head %d incl. %d scratch, tail %d, interpreter %d)%n",
                m4.total(), m4.head(), m4.scratch(), m4.tail(), m4.interpreter());
    }

    @Test
    void aTinyMlp_isMostlyStructsNotActivations() {
        // The int8 Hello World graph: 1 -> 16 -> 16 -> 1 fully connected. Its live activations peak at 32 B;
        // the interpreter's structs and op data are most of its arena.
        List<Tensor> t = new ArrayList<>();
        t.add(new Tensor("x", TensorType.INT8, new int[] {1, 1}, false, false, 1));
        int[][] layers = {{16, 1}, {16, 16}, {1, 16}};
        List<Operator> ops = new ArrayList<>();
        int previous = 0;
        for (int[] l : layers) {
            t.add(new Tensor("w", TensorType.INT8, new int[] {l[0], l[1]}, true, false, 1));
            t.add(new Tensor("b", TensorType.INT32, new int[] {l[0]}, true, false, 1));
            t.add(new Tensor("y", TensorType.INT8, new int[] {1, l[0]}, false, false, 1));
            int y = t.size() - 1;
            ops.add(new Operator("FULLY_CONNECTED", new int[] {previous, y - 2, y - 1}, new int[] {y}, Activation.RELU));
            previous = y;
        }
        TfliteModel mlp = new TfliteModel(3, "hello world", t, ops, List.of(0), List.of(previous), 2704);
        MicroArena.Estimate m4 = MicroArena.estimate(mlp, MicroArena.Target.CORTEX_M, MicroArena.Kernels.CMSIS_NN);
        System.out.printf("int8 1-16-16-1 MLP, Cortex-M + CMSIS-NN: %d B (plan %d, head %d, tail %d, interpreter %d)%n",
                m4.total(), m4.planned(), m4.head(), m4.tail(), m4.interpreter());
        assertThat(m4.planned()).isEqualTo(16 + 16); // an input and an output at a time, 16-byte granules
        assertThat(m4.tail()).isGreaterThan(10 * m4.planned());
    }

    @Test
    void plan_reusesMemoryOfTensorsThatAreNoLongerLive() {
        // a [0,1] 100 B, b [1,2] 100 B, c [2,3] 100 B: a and c never meet, so c goes where a was.
        List<long[]> buffers = List.of(new long[] {112, 0, 1}, new long[] {112, 1, 2}, new long[] {112, 2, 3});
        assertThat(MicroArena.plan(buffers)).isEqualTo(224);
        // All three live at once: nothing to share.
        assertThat(MicroArena.plan(List.of(new long[] {112, 0, 3}, new long[] {112, 0, 3}, new long[] {112, 0, 3})))
                .isEqualTo(336);
        // A small buffer fits into a gap left between two larger ones.
        assertThat(MicroArena.plan(List.of(new long[] {256, 0, 1}, new long[] {512, 1, 2}, new long[] {256, 2, 3},
                new long[] {128, 3, 3}))).isEqualTo(768);
    }

    @Test
    void variableTensors_areInTheTailNotThePlan() {
        List<Tensor> t = List.of(
                new Tensor("in", TensorType.INT8, new int[] {1, 40}, false, false, 1),
                new Tensor("features", TensorType.INT8, new int[] {64, 40}, true, false, 1),
                new Tensor("time", TensorType.INT16, new int[] {64, 10}, true, false, 1),
                new Tensor("bias", TensorType.INT32, new int[] {16}, true, false, 1),
                new Tensor("state", TensorType.INT16, new int[] {1, 640}, false, true, 1),
                new Tensor("out", TensorType.INT8, new int[] {1, 16}, false, false, 1));
        TfliteModel svdf = new TfliteModel(3, "svdf", t,
                List.of(new Operator("SVDF", new int[] {0, 1, 2, 3, 4}, new int[] {5}, Activation.RELU)),
                List.of(0), List.of(5), 4096);
        MicroArena.Estimate e = MicroArena.estimate(svdf, MicroArena.Target.CORTEX_M, MicroArena.Kernels.REFERENCE);
        assertThat(e.variables()).isEqualTo(1280);
        // The int8 SVDF's two int32 scratch buffers (64 filters, 16 units) are planned beside input and output.
        assertThat(e.scratch()).isEqualTo(64 * 4 + 16 * 4);
        assertThat(e.planned()).isEqualTo(48 + 16 + 256 + 64);
        assertThat(e.tail()).isGreaterThan(e.variables());
    }
}
