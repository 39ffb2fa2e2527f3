package io.tinyfed.simulators;

import io.tinyfed.coordinator.eval.MetaEvaluator;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.Reptile;
import io.tinyfed.core.Sample;
import io.tinyfed.core.TrainingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The sine regression task family of MAML/Reptile: {@code y = a sin(x + b)}, amplitude
 * {@code a} in [0.1, 5], phase {@code b} in [0, pi], x uniform in [-5, 5]; the model is the
 * 1-40-40-1 ReLU MLP. Evaluation protocol: K shots, full-batch SGD steps at a fixed learning
 * rate, MSE on 100 fresh points of the same task.
 */
public final class SineFamily {
    public static final Architecture ARCHITECTURE = Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1);

    /** One task. */
    public record Task(double amplitude, double phase) {
        public List<Sample> samples(int n, SplittableRandom random) {
            List<Sample> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                float x = (float) (random.nextDouble() * 10 - 5);
                out.add(new Sample(new float[] {x}, new float[] {(float) (amplitude * Math.sin(x + phase))}));
            }
            return out;
        }
    }

    /** Evaluation protocol: shots, steps and learning rate of the adaptation, test points per task. */
    public record Protocol(int shots, int steps, float learningRate, int testPoints) {
        public static final Protocol STANDARD = new Protocol(10, 32, 0.02f, 100);
    }

    private SineFamily() {
    }

    public static Task task(SplittableRandom random) {
        return new Task(0.1 + random.nextDouble() * 4.9, random.nextDouble() * Math.PI);
    }

    public static List<Task> tasks(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Task> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(task(random));
        }
        return out;
    }

    /**
     * Per-task adapted MSE of {@code init} on {@code tasks} (F32 adaptation, same shots and test points
     * for every init given the same seed).
     */
    public static double[] adaptedMse(Model init, List<Task> tasks, Protocol p, long seed) {
        Network net = Network.prepare(init, TrainingConfig.builder().learningRate(p.learningRate())
                .accumulationSteps(p.shots()).build());
        double[] mse = new double[tasks.size()];
        float[] out = new float[1];
        for (int k = 0; k < tasks.size(); k++) {
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + k);
            List<Sample> shots = tasks.get(k).samples(p.shots(), random);
            List<Sample> test = tasks.get(k).samples(p.testPoints(), random);
            Reptile.adapt(net, init, shots, p.steps(), p.learningRate());
            double sum = 0;
            for (Sample s : test) {
                net.infer(s.x(), out);
                sum += (out[0] - s.y()[0]) * (double) (out[0] - s.y()[0]);
            }
            mse[k] = sum / test.size();
        }
        return mse;
    }

    /** Mean and 95% half-width (normal approximation) of per-task values. */
    public static double[] meanAndInterval(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x / v.length;
        }
        double var = 0;
        for (double x : v) {
            var += (x - mean) * (x - mean) / Math.max(1, v.length - 1);
        }
        return new double[] {mean, 1.96 * Math.sqrt(var / v.length)};
    }

    /** A coordinator meta-evaluator on fixed held-out tasks. */
    public static MetaEvaluator evaluator(List<Task> heldOut, Protocol p, long seed) {
        return model -> meanAndInterval(adaptedMse(model, heldOut, p, seed))[0];
    }
}
