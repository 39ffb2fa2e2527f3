package io.tinyfed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Arena sizes worked out by hand for the sine MLP 1-40-40-1 (1,761 parameters). */
class ArenaPlanTest {
    private static final TrainingConfig TRAIN = TrainingConfig.builder().build();

    @Test
    void f32Training_isExact() {
        ArenaPlan plan = ArenaPlan.of(TestData.SINE, NumberFormat.F32, TRAIN);
        // weights 1761*4; error + dx scratch 2*40*4; input 4 + outputs (40+40+40+40+1)*4
        assertThat(plan.bytes(ArenaPlan.WEIGHTS)).isEqualTo(7044);
        assertThat(plan.bytes(ArenaPlan.GRADIENTS)).isEqualTo(320);
        assertThat(plan.bytes(ArenaPlan.ACTIVATIONS)).isEqualTo(648);
        assertThat(plan.totalBytes()).isEqualTo(8012);
    }

    @Test
    void s16Training_isExactAndUnder55PercentOfF32() {
        ArenaPlan plan = ArenaPlan.of(TestData.SINE, NumberFormat.S16, TRAIN);
        // scales (6 tensors + 5 layers + input) * 4; weights 1761 -> 1762 int16; error 40*2 + dx and
        // its split-sum twin 2*40*4; input 1 -> 2 int16, outputs 4*40*2 + 1 -> 2 int16; one xorshift32 state word
        assertThat(plan.bytes(ArenaPlan.SCALES)).isEqualTo(48);
        assertThat(plan.bytes(ArenaPlan.WEIGHTS)).isEqualTo(3524);
        assertThat(plan.bytes(ArenaPlan.GRADIENTS)).isEqualTo(400);
        assertThat(plan.bytes(ArenaPlan.ACTIVATIONS)).isEqualTo(4 + 320 + 4);
        assertThat(plan.bytes(ArenaPlan.OPTIMIZER)).as("stochastic rounding state").isEqualTo(4);
        assertThat(plan.totalBytes()).isEqualTo(4304);
        long f32 = ArenaPlan.of(TestData.SINE, NumberFormat.F32, TRAIN).totalBytes();
        assertThat((double) plan.totalBytes() / f32).isLessThanOrEqualTo(0.55);
    }

    @Test
    void inference_usesPingPongActivationsOnly() {
        ArenaPlan plan = ArenaPlan.of(TestData.SINE, NumberFormat.F32, TrainingConfig.inference());
        // input 4 + two ping-pong buffers of 40 floats
        assertThat(plan.training()).isFalse();
        assertThat(plan.bytes(ArenaPlan.ACTIVATIONS)).isEqualTo(4 + 160 + 160);
        assertThat(plan.bytes(ArenaPlan.GRADIENTS)).isZero();
        assertThat(plan.totalBytes()).isEqualTo(7044 + 324);
    }

    @Test
    void lastLayerLearning_needsLessThanFullTrainingAndMoreThanInference() {
        Architecture digits = Architecture.builder(64).dense(32).relu().dense(10).softmax().build();
        TrainingConfig ce = TrainingConfig.builder().loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        long full = ArenaPlan.of(digits, NumberFormat.S16, ce).totalBytes();
        long last = ArenaPlan.of(digits, NumberFormat.S16, ce.toBuilder().trainableLayers(1).build()).totalBytes();
        long infer = ArenaPlan.of(digits, NumberFormat.S16, TrainingConfig.inference()).totalBytes();
        assertThat(last).isLessThan(full).isGreaterThan(infer);
    }

    @Test
    void optionalBuffers_areAccountedExactly() {
        ArenaPlan base = ArenaPlan.of(TestData.SINE, NumberFormat.S16, TRAIN);
        ArenaPlan master = ArenaPlan.of(TestData.SINE, NumberFormat.S16, TRAIN.toBuilder().masterWeights(true).build());
        ArenaPlan momentum = ArenaPlan.of(TestData.SINE, NumberFormat.S16, TRAIN.toBuilder().momentum(0.9f).build());
        assertThat(master.totalBytes() - base.totalBytes()).isEqualTo(1761L * 4);
        // momentum needs a gradient accumulator and a velocity per trainable parameter
        assertThat(momentum.totalBytes() - base.totalBytes()).isEqualTo(2 * 1761L * 4);
        assertThat(momentum.bytes(ArenaPlan.OPTIMIZER)).isEqualTo(1761L * 4 + 4);
        // accumulation: an accumulator per trainable parameter and the word counting the batch's steps
        ArenaPlan batches = ArenaPlan.of(TestData.SINE, NumberFormat.S16, TRAIN.toBuilder().accumulationSteps(4).build());
        assertThat(batches.totalBytes() - base.totalBytes()).isEqualTo(1761L * 4 + 4);
        assertThat(batches.bytes(ArenaPlan.OPTIMIZER)).isEqualTo(4 + 4);
    }

    @Test
    void prepare_refusesAnArenaOverBudgetWithBothNumbers() {
        Model model = Model.initialize(TestData.SINE, 1);
        TrainingConfig tight = TRAIN.toBuilder().arenaBudgetBytes(4096).build();
        assertThatThrownBy(() -> Network.prepare(model, tight))
                .isInstanceOf(ArenaBudgetException.class)
                .hasMessageContaining("needs 8,012 B, budget 4,096 B");
    }

    @Test
    void network_reportsThePlannedArena() {
        Network net = Network.prepare(Model.initialize(TestData.SINE, 1), TRAIN);
        assertThat(net.arenaUsedBytes()).isEqualTo(8012);
        assertThat(net.arenaPlan()).isEqualTo(ArenaPlan.of(TestData.SINE, NumberFormat.F32, TRAIN));
    }
}
