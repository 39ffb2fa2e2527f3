package io.tinyfed.simulators.tasks;

import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.Reptile;
import io.tinyfed.core.Sample;
import io.tinyfed.core.TrainingConfig;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The headline metric: how well an initialisation adapts to new devices' tasks. Each task gets its own
 * support and test samples from {@code seed} (the same for every initialisation compared), the initialisation
 * is adapted in F32 by full-batch SGD, and the task is scored: MSE for regression, accuracy for classification.
 */
public final class Adaptation {
    private Adaptation() {
    }

    /** Per-task score of {@code init} adapted to each of {@code tasks} under {@code p}. */
    public static double[] scores(TaskFamily family, Model init, List<? extends TaskFamily.Task> tasks,
                                  TaskFamily.Protocol p, long seed) {
        TrainingConfig config = TrainingConfig.builder().loss(family.loss()).learningRate(p.learningRate())
                .accumulationSteps(p.shots()).build();
        Network net = Network.prepare(init, config);
        Network personal = p.personalLayers() == 0 ? null
                : Network.prepare(init, config.toBuilder().trainableLayers(p.personalLayers()).build());
        double[] score = new double[tasks.size()];
        for (int k = 0; k < tasks.size(); k++) {
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + k);
            List<List<Sample>> episode = tasks.get(k).episode(p.shots(), p.testPoints(), random);
            List<Sample> shots = episode.get(0);
            List<Sample> test = episode.get(1);
            Model start = personal == null ? init : Reptile.adapt(personal, init, shots, p.steps(), p.learningRate());
            Reptile.adapt(net, start, shots, p.steps(), p.learningRate());
            score[k] = family.classification() ? accuracy(net, test) : mse(net, test);
        }
        return score;
    }

    /** Mean squared error of {@code net} on {@code samples}. */
    public static double mse(Network net, List<Sample> samples) {
        float[] out = new float[net.architecture().outputSize()];
        double sum = 0;
        for (Sample s : samples) {
            net.infer(s.x(), out);
            for (int j = 0; j < out.length; j++) {
                sum += (out[j] - s.y()[j]) * (double) (out[j] - s.y()[j]);
            }
        }
        return sum / (samples.size() * (double) out.length);
    }

    /** Fraction of {@code samples} whose arg-max output is the target's arg-max. */
    public static double accuracy(Network net, List<Sample> samples) {
        float[] out = new float[net.architecture().outputSize()];
        int correct = 0;
        for (Sample s : samples) {
            net.infer(s.x(), out);
            if (argmax(out) == argmax(s.y())) {
                correct++;
            }
        }
        return correct / (double) samples.size();
    }

    /** Mean loss of {@code net} on {@code samples}: cross-entropy for classification, MSE otherwise. */
    public static double loss(TaskFamily family, Network net, List<Sample> samples) {
        if (!family.classification()) {
            return mse(net, samples);
        }
        float[] out = new float[net.architecture().outputSize()];
        double sum = 0;
        for (Sample s : samples) {
            net.infer(s.x(), out);
            sum -= Math.log(Math.max(1e-7, out[argmax(s.y())]));
        }
        return sum / samples.size();
    }

    /** Index of the largest value (the first on ties). */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
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
}
