package io.tinyfed.bench;

import io.tinyfed.core.Network;
import io.tinyfed.core.Sample;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Heap bytes the calling thread allocates per {@code trainStep}, measured with
 * {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes} over many calls after warm-up.
 */
public final class AllocationProbe {
    private AllocationProbe() {
    }

    public static double bytesPerTrainStep(Network net, List<Sample> samples, int warmup, int calls) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        float[][] xs = new float[samples.size()][];
        float[][] ys = new float[samples.size()][];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = samples.get(i).x();
            ys[i] = samples.get(i).y();
        }
        for (int i = 0; i < warmup; i++) {
            net.trainStep(xs[i % xs.length], ys[i % ys.length]);
        }
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < calls; i++) {
            net.trainStep(xs[i % xs.length], ys[i % ys.length]);
        }
        return (double) (threads.getThreadAllocatedBytes(id) - before) / calls;
    }
}
