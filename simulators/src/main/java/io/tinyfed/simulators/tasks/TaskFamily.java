package io.tinyfed.simulators.tasks;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Loss;
import io.tinyfed.core.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A family of related learning tasks, what federated Reptile meta-learns over: every device holds its own
 * task (one sine curve, a few digit classes in its own label order, one room of a building), and a new
 * device adapts the meta-model to its task from a few samples. Training devices draw their tasks from the
 * family's training data; new devices from held-out data no training device holds. Everything is drawn
 * from the {@link SplittableRandom} the caller passes, so a seed gives the same tasks and samples.
 */
public interface TaskFamily {

    /** Short name, also the model id the coordinator uses ({@code sine}, {@code digits}, ...). */
    String name();

    /** The network every device trains. */
    Architecture architecture();

    /** How a new device adapts and is scored. */
    Protocol protocol();

    /** The task of a device that takes part in training. */
    Task trainingTask(SplittableRandom random);

    /** The task of a new device, from data that no training device holds. */
    Task heldOutTask(SplittableRandom random);

    /** True when the network ends in Softmax: trained with cross-entropy, scored by accuracy. */
    default boolean classification() {
        Layer last = architecture().layer(architecture().size() - 1);
        return last instanceof Layer.Activation a && a.kind() == Layer.Kind.SOFTMAX;
    }

    default Loss loss() {
        return classification() ? Loss.SOFTMAX_CROSS_ENTROPY : Loss.MSE;
    }

    /** {@code n} training tasks from {@code seed}. */
    default List<Task> trainingTasks(int n, long seed) {
        return draw(n, seed, this::trainingTask);
    }

    /** {@code n} new-device tasks from {@code seed}. */
    default List<Task> heldOutTasks(int n, long seed) {
        return draw(n, seed, this::heldOutTask);
    }

    private static List<Task> draw(int n, long seed, java.util.function.Function<SplittableRandom, Task> task) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Task> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(task.apply(random));
        }
        return out;
    }

    /** One device's task: the distribution its samples come from. */
    interface Task {
        /**
         * {@code n} samples of this task. Classification tasks cycle through their classes (sample i has class
         * slot {@code i mod ways}), so {@code n = ways * k} is a balanced k-shot set.
         */
        List<Sample> samples(int n, SplittableRandom random);

        /** The same device after its data has shifted mid-stream (for the online-learning drift experiments). */
        Task drifted(SplittableRandom random);

        /**
         * A new device's episode: {@code shots} support samples and {@code test} test samples (index 0 and 1).
         * Families drawing from a finite pool override it to keep the two apart; by default two independent draws.
         */
        default List<List<Sample>> episode(int shots, int test, SplittableRandom random) {
            List<Sample> support = samples(shots, random);
            return List.of(support, samples(test, random));
        }

        /** {@code samples} cut after the first {@code shots}. */
        static List<List<Sample>> split(List<Sample> samples, int shots) {
            return List.of(samples.subList(0, shots), samples.subList(shots, samples.size()));
        }
    }

    /**
     * Adaptation protocol of a new device: {@code shots} support samples, {@code steps} full-batch SGD steps at
     * {@code learningRate}, scored on {@code testPoints} fresh samples of the same task.
     */
    /**
     * How a new device adapts: {@code steps} full-batch SGD steps at {@code learningRate} on {@code shots} samples, scored
     * on {@code testPoints} others. With {@code personalLayers} > 0 (partial local reconstruction) the device first
     * re-fits the last that many parametrised layers for {@code steps} steps with the rest frozen.
     */
    record Protocol(int shots, int steps, float learningRate, int testPoints, int personalLayers) {
        public Protocol(int shots, int steps, float learningRate, int testPoints) {
            this(shots, steps, learningRate, testPoints, 0);
        }

        public Protocol withSteps(int s) {
            return new Protocol(shots, s, learningRate, testPoints, personalLayers);
        }

        /** This protocol with the last {@code layers} parametrised layers re-fitted first (0: none). */
        public Protocol withPersonalLayers(int layers) {
            return new Protocol(shots, steps, learningRate, testPoints, layers);
        }
    }
}
