package io.tinyfed.bench;

import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.OnlineLearner;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.Reptile;
import io.tinyfed.core.Sample;
import io.tinyfed.core.TrainingConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/** The accuracy block of {@code tinyfed bench runtime}: S16 against F32 from the same start. */
public final class AccuracyExperiments {
    /** Shots, full-batch steps, learning rate and held-out tasks of the sine adaptation test. */
    public static final int SHOTS = 10;
    public static final int ADAPT_STEPS = 32;
    public static final float ADAPT_LR = 0.02f;
    public static final int HELD_OUT_TASKS = 200;
    public static final int TEST_POINTS = 100;
    /** Initial Reptile outer step of the meta-training, annealed linearly to 0 (as in Reptile's sine demo). */
    public static final double OUTER_STEP = 0.1;

    private AccuracyExperiments() {
    }

    /**
     * Meta-trains a shared init with centralised F32 Reptile ({@code iterations} tasks, outer step
     * {@link #OUTER_STEP} annealed linearly to 0), so "same init" is a useful one rather than a
     * random one. (An outer step of 1 measured worse and 0.3 diverged at 5,000 iterations.)
     */
    public static Model metaTrainedSineInit(int iterations, long seed) {
        Model theta = Model.initialize(BenchModels.SINE.architecture(), seed);
        Network scratch = Network.prepare(theta, adaptConfig(seed));
        SplittableRandom random = new SplittableRandom(seed);
        for (int it = 0; it < iterations; it++) {
            double[] task = SineTasks.task(random);
            List<Sample> shots = SineTasks.samples(task[0], task[1], SHOTS, random);
            Model phi = Reptile.adapt(scratch, theta, shots, ADAPT_STEPS, ADAPT_LR);
            double epsilon = OUTER_STEP * (1.0 - (double) it / iterations);
            theta = Reptile.outerStep(theta, List.of(Reptile.delta(phi, theta)), new double[] {1}, epsilon);
        }
        return theta;
    }

    /** Full-batch steps over the K shots: gradients of all shots averaged per update. */
    static TrainingConfig adaptConfig(long seed) {
        return TrainingConfig.builder().learningRate(ADAPT_LR).accumulationSteps(SHOTS).seed(seed).build();
    }

    /** S16 calibration: inputs spanning the task family's x range. */
    static Model toS16(Model f32, long seed) {
        List<float[]> calibration = new ArrayList<>();
        for (Sample s : SineTasks.samples(5, 0, 200, new SplittableRandom(seed))) {
            calibration.add(s.x());
        }
        return Quantizer.toS16(f32, calibration);
    }

    /** Mean test MSE after adapting {@code init} on 10 shots of each held-out task; [mean, half-width of 95% CI]. */
    public static double[] sineAdaptedMse(Model init, int tasks, long seed) {
        Network net = Network.prepare(init, adaptConfig(seed));
        SplittableRandom random = new SplittableRandom(seed ^ 0x5EED);
        double[] perTask = new double[tasks];
        float[] out = new float[1];
        for (int t = 0; t < tasks; t++) {
            double[] task = SineTasks.task(random);
            List<Sample> shots = SineTasks.samples(task[0], task[1], SHOTS, random);
            List<Sample> test = SineTasks.samples(task[0], task[1], TEST_POINTS, random);
            Reptile.adapt(net, init, shots, ADAPT_STEPS, ADAPT_LR);
            double sum = 0;
            for (Sample s : test) {
                net.infer(s.x(), out);
                double e = out[0] - s.y()[0];
                sum += e * e;
            }
            perTask[t] = sum / test.size();
        }
        return meanAndInterval(perTask);
    }

    static double[] meanAndInterval(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        double var = 0;
        for (double x : v) {
            var += (x - mean) * (x - mean);
        }
        double sd = Math.sqrt(var / Math.max(1, v.length - 1));
        return new double[] {mean, 1.96 * sd / Math.sqrt(v.length)};
    }

    /** Prequential (test-then-train) accuracy over one pass of the shuffled digits, from the same init. */
    public static double digitsOnlineAccuracy(NumberFormat format, long seed) {
        List<Sample> stream = new ArrayList<>(UciDigits.load());
        Collections.shuffle(stream, new Random(seed));
        OnlineLearner learner = new OnlineLearner(
                Network.prepare(BenchModels.DIGITS.initialModel(format, seed), BenchModels.DIGITS.trainingConfig(seed)),
                32);
        for (Sample s : stream) {
            learner.observe(s.x(), s.y());
        }
        return learner.prequentialAccuracy();
    }

    /** The S16 remedies for sub-LSB updates, measured against F32 (see docs/fixed-point.md). */
    public enum Remedy {
        F32_REFERENCE("F32"),
        NEAREST("S16 nearest"),
        STOCHASTIC("S16 stochastic (default)"),
        STOCHASTIC_MASTER("S16 stochastic + int32 master"),
        NEAREST_NO_ADAPTATION("S16 nearest, no scale adaptation"),
        STOCHASTIC_NO_ADAPTATION("S16 stochastic, no scale adaptation");

        final String label;

        Remedy(String label) {
            this.label = label;
        }

        TrainingConfig apply(TrainingConfig c) {
            TrainingConfig.Builder b = c.toBuilder();
            switch (this) {
                case NEAREST -> b.rounding(TrainingConfig.Rounding.NEAREST);
                case STOCHASTIC, F32_REFERENCE -> b.rounding(TrainingConfig.Rounding.STOCHASTIC);
                case STOCHASTIC_MASTER -> b.rounding(TrainingConfig.Rounding.STOCHASTIC).masterWeights(true);
                case NEAREST_NO_ADAPTATION -> b.rounding(TrainingConfig.Rounding.NEAREST).scaleAdaptation(false);
                case STOCHASTIC_NO_ADAPTATION -> b.rounding(TrainingConfig.Rounding.STOCHASTIC).scaleAdaptation(false);
            }
            return b.build();
        }
    }

    /**
     * Online (batch 1) training on one sine task per trial from a random init, 3,000 steps, at a
     * learning rate where updates are mostly above (3e-3), near (3e-4) and below (3e-5) one weight
     * LSB; returns the mean test MSE per remedy.
     */
    public static double[] remedies(float learningRate, int trials, long seed) {
        Remedy[] remedies = Remedy.values();
        double[] mse = new double[remedies.length];
        float[] out = new float[1];
        for (int trial = 0; trial < trials; trial++) {
            Model f32 = Model.initialize(BenchModels.SINE.architecture(), seed + trial);
            Model s16 = toS16(f32, seed);
            SplittableRandom random = new SplittableRandom(seed * 31 + trial);
            double[] task = SineTasks.task(random);
            List<Sample> train = SineTasks.samples(task[0], task[1], 3000, random);
            List<Sample> test = SineTasks.samples(task[0], task[1], 300, random);
            TrainingConfig base = TrainingConfig.builder().learningRate(learningRate).seed(seed + trial).build();
            for (int r = 0; r < remedies.length; r++) {
                Network net = Network.prepare(r == 0 ? f32 : s16, remedies[r].apply(base));
                for (Sample s : train) {
                    net.trainStep(s.x(), s.y());
                }
                double sum = 0;
                for (Sample s : test) {
                    net.infer(s.x(), out);
                    sum += (out[0] - s.y()[0]) * (double) (out[0] - s.y()[0]);
                }
                mse[r] += sum / test.size() / trials;
            }
        }
        return mse;
    }
}
