package io.tinyfed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NetworkTest {
    private static final List<float[]> CALIBRATION = TestData.inputs(TestData.sine(5, 0, 200, 3));

    private static Model sineModel(NumberFormat format) {
        Model f32 = Model.initialize(TestData.SINE, 1);
        return format == NumberFormat.F32 ? f32 : Quantizer.toS16(f32, CALIBRATION);
    }

    @ParameterizedTest
    @EnumSource(NumberFormat.class)
    void trainStep_learnsASineTask(NumberFormat format) {
        List<Sample> train = TestData.sine(3, 1, 4000, 5);
        List<Sample> test = TestData.sine(3, 1, 300, 6);
        Network net = Network.prepare(sineModel(format), TrainingConfig.builder().learningRate(0.003f).seed(2).build());
        double before = TestData.mse(net, test);
        for (Sample s : train) {
            net.trainStep(s.x(), s.y());
        }
        double after = TestData.mse(net, test);
        assertThat(after).as("%s test MSE before %.3f", format, before).isLessThan(before / 5);
    }

    @Test
    void s16Forward_agreesWithF32WithinQuantisationError() {
        Model f32 = Model.initialize(TestData.SINE, 1);
        Model s16 = Quantizer.toS16(f32, CALIBRATION);
        Network nf = Network.prepare(f32, TrainingConfig.inference());
        Network ns = Network.prepare(s16, TrainingConfig.inference());
        float[] yf = new float[1];
        float[] ys = new float[1];
        double worst = 0;
        for (float[] x : TestData.inputs(TestData.sine(1, 0, 500, 9))) {
            nf.infer(x, yf);
            ns.infer(x, ys);
            worst = Math.max(worst, Math.abs(yf[0] - ys[0]));
        }
        // outputs span about +-0.5; the output is Q1.14, so a few LSB of accumulated error is expected
        assertThat(worst).isLessThan(2e-3);
    }

    @Test
    void s16Training_staysCloseToF32FromTheSameInit() {
        List<Sample> train = TestData.sine(2, 0.5, 3000, 7);
        List<Sample> test = TestData.sine(2, 0.5, 300, 8);
        TrainingConfig config = TrainingConfig.builder().learningRate(0.003f).seed(3).build();
        Network nf = Network.prepare(sineModel(NumberFormat.F32), config);
        Network ns = Network.prepare(sineModel(NumberFormat.S16), config);
        for (Sample s : train) {
            nf.trainStep(s.x(), s.y());
            ns.trainStep(s.x(), s.y());
        }
        double f = TestData.mse(nf, test);
        double q = TestData.mse(ns, test);
        assertThat(q).as("S16 %.4f vs F32 %.4f", q, f).isLessThan(f * 1.5 + 0.02);
    }

    @Test
    void s16_learnsTargetsBeyondTheCalibratedOutputRange() {
        // Calibrated on a tiny random-init output, the output scale covers about +-2; targets reach 4.5.
        Model s16 = sineModel(NumberFormat.S16);
        assertThat(s16.outputFrac(2)).isGreaterThanOrEqualTo(13);
        Network net = Network.prepare(s16, TrainingConfig.builder().learningRate(0.003f).build());
        List<Sample> train = TestData.sine(4.5, 0, 4000, 11);
        for (Sample s : train) {
            net.trainStep(s.x(), s.y());
        }
        float[] y = new float[1];
        net.infer(new float[] {(float) (Math.PI / 2)}, y);
        assertThat(y[0]).isGreaterThan(3.0f);
        assertThat(net.scaleAdaptations()).isPositive();
        assertThat(net.snapshot().outputFrac(2)).isLessThan(s16.outputFrac(2));
    }

    @Test
    void sameSeed_givesTheSameWeights() {
        List<Sample> train = TestData.sine(2, 0.5, 500, 7);
        TrainingConfig config = TrainingConfig.builder().learningRate(0.003f).seed(42).build();
        Network a = Network.prepare(sineModel(NumberFormat.S16), config);
        Network b = Network.prepare(sineModel(NumberFormat.S16), config);
        for (Sample s : train) {
            a.trainStep(s.x(), s.y());
            b.trainStep(s.x(), s.y());
        }
        assertThat(a.snapshot()).isEqualTo(b.snapshot());
        Network c = Network.prepare(sineModel(NumberFormat.S16), config.toBuilder().seed(43).build());
        for (Sample s : train) {
            c.trainStep(s.x(), s.y());
        }
        assertThat(c.snapshot()).isNotEqualTo(a.snapshot());
    }

    @ParameterizedTest
    @EnumSource(NumberFormat.class)
    void lastLayerLearning_changesOnlyTheLastLayer(NumberFormat format) {
        Model model = sineModel(format);
        Network net = Network.prepare(model, TrainingConfig.builder().trainableLayers(1).learningRate(0.01f).build());
        for (Sample s : TestData.sine(3, 0, 200, 4)) {
            net.trainStep(s.x(), s.y());
        }
        float[] before = model.toRealVector();
        float[] after = net.snapshot().toRealVector();
        int lastLayerStart = model.tensorOffset(4);
        for (int i = 0; i < lastLayerStart; i++) {
            assertThat(after[i]).as("frozen parameter %d", i).isEqualTo(before[i]);
        }
        boolean changed = false;
        for (int i = lastLayerStart; i < before.length; i++) {
            changed |= after[i] != before[i];
        }
        assertThat(changed).isTrue();
    }

    @ParameterizedTest
    @EnumSource(NumberFormat.class)
    void accumulationAndMomentum_train(NumberFormat format) {
        TrainingConfig config = TrainingConfig.builder().learningRate(0.003f).accumulationSteps(4).momentum(0.9f).build();
        Network net = Network.prepare(sineModel(format), config);
        List<Sample> test = TestData.sine(2, 0, 200, 2);
        double before = TestData.mse(net, test);
        for (Sample s : TestData.sine(2, 0, 4000, 1)) {
            net.trainStep(s.x(), s.y());
        }
        assertThat(TestData.mse(net, test)).isLessThan(before / 4);
    }

    @Test
    void accumulation_updatesOnlyAtTheEndOfABatch() {
        Model model = sineModel(NumberFormat.F32);
        Network net = Network.prepare(model, TrainingConfig.builder().accumulationSteps(3).build());
        List<Sample> s = TestData.sine(1, 0, 3, 1);
        net.trainStep(s.get(0).x(), s.get(0).y());
        net.trainStep(s.get(1).x(), s.get(1).y());
        assertThat(net.snapshot()).isEqualTo(model);
        net.trainStep(s.get(2).x(), s.get(2).y());
        assertThat(net.snapshot()).isNotEqualTo(model);
    }

    @ParameterizedTest
    @EnumSource(NumberFormat.class)
    void conv1dClassifier_learnsToSeparateTwoPatterns(NumberFormat format) {
        Architecture arch = Architecture.builder(16).conv1d(8, 2, 4, 3).relu().dense(2).softmax().build();
        SplittableRandom r = new SplittableRandom(3);
        List<Sample> data = new java.util.ArrayList<>();
        for (int i = 0; i < 600; i++) {
            int label = r.nextInt(2);
            float[] x = new float[16];
            for (int t = 0; t < 8; t++) {
                double phase = label == 0 ? 0 : Math.PI;
                x[2 * t] = (float) (Math.sin(t + phase) + r.nextGaussian() * 0.3);
                x[2 * t + 1] = (float) (r.nextGaussian() * 0.3);
            }
            float[] y = new float[2];
            y[label] = 1f;
            data.add(new Sample(x, y));
        }
        Model f32 = Model.initialize(arch, 2);
        Model model = format == NumberFormat.F32 ? f32 : Quantizer.toS16(f32, TestData.inputs(data));
        OnlineLearner learner = new OnlineLearner(Network.prepare(model,
                TrainingConfig.builder().loss(Loss.SOFTMAX_CROSS_ENTROPY).learningRate(0.05f).build()), 8);
        for (Sample s : data.subList(0, 400)) {
            learner.observe(s.x(), s.y());
        }
        learner.resetStatistics();
        for (Sample s : data.subList(400, 600)) {
            learner.observe(s.x(), s.y());
        }
        assertThat(learner.prequentialAccuracy()).isGreaterThan(0.9);
    }

    @ParameterizedTest
    @EnumSource(NumberFormat.class)
    void badInput_isRejectedAndChangesNothing(NumberFormat format) {
        Model model = sineModel(format);
        Network net = Network.prepare(model, TrainingConfig.builder().build());
        assertThatThrownBy(() -> net.trainStep(new float[] {Float.NaN}, new float[] {0f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input[0] is not finite");
        assertThatThrownBy(() -> net.trainStep(new float[] {1f}, new float[] {Float.POSITIVE_INFINITY}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("target[0] is not finite");
        assertThatThrownBy(() -> net.trainStep(new float[] {1f, 2f}, new float[] {0f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input has 2 values, model expects 1");
        assertThatThrownBy(() -> net.infer(new float[] {1f}, new float[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("output buffer has 2");
        assertThat(net.snapshot()).isEqualTo(model);
    }

    @Test
    void divergingF32Training_isVisibleInTheLossAndNeverWritesNaN() {
        Model model = sineModel(NumberFormat.F32);
        Network net = Network.prepare(model, TrainingConfig.builder().learningRate(16f).build());
        int nonFinite = 0;
        for (Sample s : TestData.sine(5, 0, 300, 3)) {
            if (!Float.isFinite(net.trainStep(s.x(), s.y()))) {
                nonFinite++;
            }
        }
        assertThat(nonFinite).as("steps whose loss overflowed").isPositive();
        for (float p : net.snapshot().f32Parameters()) {
            assertThat(Float.isFinite(p)).isTrue();
        }
        net.load(model);
        Sample s = TestData.sine(1, 0, 1, 4).get(0);
        assertThat(Float.isFinite(net.trainStep(s.x(), s.y()))).isTrue();
    }

    @Test
    void inferenceOnlyNetwork_refusesToTrain() {
        Network net = Network.prepare(sineModel(NumberFormat.S16), TrainingConfig.inference());
        assertThatThrownBy(() -> net.trainStep(new float[] {1f}, new float[] {0f}))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("inference only");
    }

    @Test
    void prepare_rejectsLossesThatDoNotFitTheArchitecture() {
        Model softmax = Model.initialize(Architecture.builder(4).dense(3).softmax().build(), 1);
        assertThatThrownBy(() -> Network.prepare(softmax, TrainingConfig.builder().loss(Loss.MSE).build()))
                .hasMessageContaining("SOFTMAX_CROSS_ENTROPY");
        Model linear = Model.initialize(TestData.SINE, 1);
        assertThatThrownBy(() -> Network.prepare(linear,
                TrainingConfig.builder().loss(Loss.SOFTMAX_CROSS_ENTROPY).build()))
                .hasMessageContaining("ends in Softmax");
    }

    @Test
    void load_rejectsAModelOfAnotherShapeOrFormat() {
        Network net = Network.prepare(sineModel(NumberFormat.F32), TrainingConfig.builder().build());
        assertThatThrownBy(() -> net.load(sineModel(NumberFormat.S16))).hasMessageContaining("cannot load");
        assertThatThrownBy(() -> net.load(Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1)))
                .hasMessageContaining("cannot load");
    }

    @Test
    void lastOutput_isThePredictionMadeBeforeTheUpdate() {
        Network net = Network.prepare(sineModel(NumberFormat.F32), TrainingConfig.builder().learningRate(0.1f).build());
        float[] x = {1f};
        float[] predicted = new float[1];
        net.infer(x, predicted);
        float loss = net.trainStep(x, new float[] {2f});
        float[] seen = new float[1];
        net.lastOutput(seen);
        assertThat(seen[0]).isEqualTo(predicted[0]);
        assertThat(loss).isCloseTo((predicted[0] - 2f) * (predicted[0] - 2f), within(1e-5f));
    }
}
