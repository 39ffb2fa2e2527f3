package io.tinyfed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class OnlineLearnerTest {

    @Test
    void observe_testsBeforeTrainingAndTracksPrequentialLoss() {
        Model model = Model.initialize(TestData.SINE, 1);
        Network net = Network.prepare(model, TrainingConfig.builder().learningRate(0.005f).build());
        Network reference = Network.prepare(model, TrainingConfig.inference());
        OnlineLearner learner = new OnlineLearner(net, 4);
        Sample first = TestData.sine(2, 0, 1, 3).get(0);
        float[] y = new float[1];
        reference.infer(first.x(), y);
        float expected = (y[0] - first.y()[0]) * (y[0] - first.y()[0]);
        float loss = learner.observe(first.x(), first.y());
        assertThat(loss).isEqualTo(expected);
        assertThat(learner.prequentialLoss()).isEqualTo(expected, org.assertj.core.data.Offset.offset(1e-6));

        List<Sample> stream = TestData.sine(2, 0, 3000, 4);
        for (Sample s : stream) {
            learner.observe(s.x(), s.y());
        }
        double early = learner.prequentialLoss();
        learner.resetStatistics();
        for (Sample s : TestData.sine(2, 0, 500, 5)) {
            learner.observe(s.x(), s.y());
        }
        assertThat(learner.prequentialLoss()).isLessThan(early);
        assertThatThrownBy(learner::prequentialAccuracy).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void buffer_keepsTheMostRecentSamplesOldestFirst() {
        OnlineLearner learner = new OnlineLearner(
                Network.prepare(Model.initialize(TestData.SINE, 1), TrainingConfig.builder().build()), 3);
        List<Sample> stream = TestData.sine(1, 0, 5, 1);
        learner.observe(stream.get(0).x(), stream.get(0).y());
        assertThat(learner.recentSamples()).hasSize(1);
        for (Sample s : stream.subList(1, 5)) {
            learner.observe(s.x(), s.y());
        }
        List<Sample> recent = learner.recentSamples();
        assertThat(recent).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(recent.get(i).x()).isEqualTo(stream.get(2 + i).x());
            assertThat(recent.get(i).y()).isEqualTo(stream.get(2 + i).y());
        }
        assertThat(learner.samplesSeen()).isEqualTo(5);
    }

    @Test
    void constructor_refusesAnInferenceOnlyNetwork() {
        Network net = Network.prepare(Model.initialize(TestData.SINE, 1), TrainingConfig.inference());
        assertThatThrownBy(() -> new OnlineLearner(net, 4)).hasMessageContaining("prepared for training");
    }
}
