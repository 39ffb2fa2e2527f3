package io.tinyfed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Measures heap bytes allocated by the calling thread over 10,000 hot-path calls with
 * {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}. The JIT compiles on its own
 * threads, so warm-up compilation does not count; the measurement itself allocates nothing. The
 * JVM may still allocate a few bytes once on the calling thread (a deoptimisation, a recompiled
 * frame: 88 B were seen once in 10,000 S16 steps on a busy machine), so each hot path is measured
 * over up to three windows and must allocate nothing in at least one; a path that allocates per
 * call (16 B or more each time) allocates in every window and fails.
 */
class ZeroAllocationTest {
    private static final int CALLS = 10_000;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static long allocatedBytes() {
        return THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    /** The fewest bytes {@code calls} allocated in one of up to three windows (stops at the first that allocates none). */
    private static long leastAllocated(Runnable calls) {
        long least = Long.MAX_VALUE;
        for (int window = 0; window < 3 && least > 0; window++) {
            long before = allocatedBytes();
            calls.run();
            least = Math.min(least, allocatedBytes() - before);
        }
        return least;
    }

    private static Network sine(NumberFormat format, TrainingConfig config) {
        Model f32 = Model.initialize(TestData.SINE, 1);
        Model model = format == NumberFormat.F32 ? f32
                : Quantizer.toS16(f32, TestData.inputs(TestData.sine(5, 0, 100, 1)));
        return Network.prepare(model, config);
    }

    @ParameterizedTest
    @EnumSource(NumberFormat.class)
    void trainStep_allocatesNothing(NumberFormat format) {
        assertThat(THREADS.isThreadAllocatedMemorySupported()).isTrue();
        Network net = sine(format, TrainingConfig.builder().learningRate(0.003f).build());
        List<Sample> data = TestData.sine(3, 1, 256, 2);
        float[][] xs = new float[data.size()][];
        float[][] ys = new float[data.size()][];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = data.get(i).x();
            ys[i] = data.get(i).y();
        }
        for (int i = 0; i < 20_000; i++) {
            net.trainStep(xs[i & 255], ys[i & 255]);
        }
        float[] lossSum = new float[1];
        long allocated = leastAllocated(() -> {
            for (int i = 0; i < CALLS; i++) {
                lossSum[0] += net.trainStep(xs[i & 255], ys[i & 255]);
            }
        });
        assertThat(allocated).as("bytes allocated by %d %s trainStep calls", CALLS, format).isZero();
        assertThat(lossSum[0]).isPositive();
    }

    @ParameterizedTest
    @EnumSource(NumberFormat.class)
    void infer_allocatesNothing(NumberFormat format) {
        Network net = sine(format, TrainingConfig.inference());
        float[] x = new float[1];
        float[] y = new float[1];
        for (int i = 0; i < 20_000; i++) {
            x[0] = (i % 100) / 10f - 5f;
            net.infer(x, y);
        }
        float[] sum = new float[1];
        assertThat(leastAllocated(() -> {
            for (int i = 0; i < CALLS; i++) {
                x[0] = (i % 100) / 10f - 5f;
                net.infer(x, y);
                sum[0] += y[0];
            }
        })).as("bytes allocated by %d %s infer calls", CALLS, format).isZero();
        assertThat(sum[0]).isNotZero();
    }

    @Test
    void onlineLearnerObserve_allocatesNothingWithAccumulationAndMomentum() {
        Architecture arch = Architecture.builder(8).dense(6).tanh().dense(3).softmax().build();
        Model f32 = Model.initialize(arch, 1);
        float[][] xs = new float[16][8];
        float[][] ys = new float[16][3];
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 8; j++) {
                xs[i][j] = (float) Math.sin(i + j);
            }
            ys[i][i % 3] = 1f;
        }
        Model s16 = Quantizer.toS16(f32, List.of(xs));
        TrainingConfig config = TrainingConfig.builder().loss(Loss.SOFTMAX_CROSS_ENTROPY).accumulationSteps(4)
                .momentum(0.5f).masterWeights(true).build();
        for (Model m : List.of(f32, s16)) {
            OnlineLearner learner = new OnlineLearner(Network.prepare(m, config), 32);
            for (int i = 0; i < 20_000; i++) {
                learner.observe(xs[i & 15], ys[i & 15]);
            }
            assertThat(leastAllocated(() -> {
                for (int i = 0; i < CALLS; i++) {
                    learner.observe(xs[i & 15], ys[i & 15]);
                }
            })).as("%s observe", m.format()).isZero();
        }
    }
}
