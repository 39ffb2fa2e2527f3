package io.tinyfed.simulators.tasks;

import io.tinyfed.coordinator.eval.MetaEvaluator;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The sine regression task family of MAML/Reptile: {@code y = a sin(x + b)}, amplitude
 * {@code a} in [0.1, 5], phase {@code b} in [0, pi], x uniform in [-5, 5]; the model is the
 * 1-40-40-1 ReLU MLP. Evaluation protocol: K shots, full-batch SGD steps at a fixed learning
 * rate, MSE on 100 fresh points of the same task. Training and new devices draw their curves from
 * the same distribution (there is no data to hold out: every curve is new).
 */
public final class SineFamily implements TaskFamily {
    public static final Architecture ARCHITECTURE = Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1);
    /** 10 shots, 32 steps, lr 0.02, 100 test points. */
    public static final Protocol STANDARD = new Protocol(10, 32, 0.02f, 100);
    public static final SineFamily FAMILY = new SineFamily();

    /** One task. */
    public record Task(double amplitude, double phase) implements TaskFamily.Task {
        @Override
        public List<Sample> samples(int n, SplittableRandom random) {
            List<Sample> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                float x = (float) (random.nextDouble() * 10 - 5);
                out.add(new Sample(new float[] {x}, new float[] {(float) (amplitude * Math.sin(x + phase))}));
            }
            return out;
        }

        /** A new curve: the device's process changed. */
        @Override
        public Task drifted(SplittableRandom random) {
            return task(random);
        }
    }

    private SineFamily() {
    }

    @Override
    public String name() {
        return "sine";
    }

    @Override
    public Architecture architecture() {
        return ARCHITECTURE;
    }

    @Override
    public Protocol protocol() {
        return STANDARD;
    }

    @Override
    public Task trainingTask(SplittableRandom random) {
        return task(random);
    }

    @Override
    public Task heldOutTask(SplittableRandom random) {
        return task(random);
    }

    @Override
    public String toString() {
        return "sine: y = a sin(x + b), a in [0.1, 5], b in [0, pi], x in [-5, 5], 1-40-40-1 ReLU";
    }

    public static Task task(SplittableRandom random) {
        return new Task(0.1 + random.nextDouble() * 4.9, random.nextDouble() * Math.PI);
    }

    /** {@code n} curves from {@code seed} (the family's {@link #trainingTasks}, typed). */
    public static List<Task> tasks(int n, long seed) {
        return FAMILY.trainingTasks(n, seed).stream().map(Task.class::cast).toList();
    }

    /**
     * Per-task adapted MSE of {@code init} on {@code tasks} (F32 adaptation, same shots and test points
     * for every init given the same seed).
     */
    public static double[] adaptedMse(Model init, List<Task> tasks, Protocol p, long seed) {
        return Adaptation.scores(FAMILY, init, tasks, p, seed);
    }

    /** Mean and 95% half-width (normal approximation) of per-task values. */
    public static double[] meanAndInterval(double[] v) {
        return Adaptation.meanAndInterval(v);
    }

    /** A coordinator meta-evaluator on fixed held-out tasks. */
    public static MetaEvaluator evaluator(List<Task> heldOut, Protocol p, long seed) {
        return model -> meanAndInterval(adaptedMse(model, heldOut, p, seed))[0];
    }
}
