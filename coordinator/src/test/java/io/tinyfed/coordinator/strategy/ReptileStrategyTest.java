package io.tinyfed.coordinator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReptileStrategyTest {
    private static final Selection ALL = Selection.count(3);

    @Test
    void aggregate_isThetaPlusEpsilonTimesTheSampleWeightedMeanDelta() {
        ReptileStrategy reptile = new ReptileStrategy(0.5, false, 10, ALL);
        float[] theta = {1f, 1f};
        List<Reply> replies = List.of(
                new Reply("a", new float[] {2f, 0f}, 30, 1f, 0.5f),
                new Reply("b", new float[] {-2f, 4f}, 10, 1f, 0.5f));
        // weighted mean = (30*[2,0] + 10*[-2,4]) / 40 = [1, 1]; theta + 0.5 * mean
        assertThat(reptile.aggregate(1, theta, replies, List.of())).containsExactly(new float[] {1.5f, 1.5f}, within(1e-6f));
    }

    @Test
    void annealing_isLinearFromEpsilon0ToZeroOverTheRun() {
        ReptileStrategy reptile = new ReptileStrategy(0.1, true, 4, ALL);
        assertThat(reptile.epsilon(1)).isEqualTo(0.1);
        assertThat(reptile.epsilon(3)).isCloseTo(0.05, within(1e-12));
        assertThat(reptile.epsilon(9)).isZero();
    }

    @Test
    void fedAvg_averagesTheAdaptedModels() {
        ReptileStrategy fedAvg = ReptileStrategy.fedAvg(10, ALL);
        float[] theta = {0f};
        List<Reply> replies = List.of(new Reply("a", new float[] {1f}, 1, 0, 0), new Reply("b", new float[] {3f}, 1, 0, 0));
        assertThat(fedAvg.aggregate(5, theta, replies, List.of())).containsExactly(2f);
        assertThat(fedAvg.name()).isEqualTo("fedavg");
    }

    @Test
    void aggregate_withoutReplies_isRefused() {
        assertThatThrownBy(() -> new ReptileStrategy(0.1, false, 1, ALL).aggregate(1, new float[1], List.of(), List.of()))
                .hasMessageContaining("no accepted update");
    }

    @Test
    void selection_isSeededBoundedAndWithoutReplacement() {
        List<String> ids = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        Selection half = new Selection(0.5, 2, 4);
        List<String> first = half.select(ids, 3, 42);
        assertThat(first).hasSize(4).doesNotHaveDuplicates().isSubsetOf(ids);
        assertThat(half.select(ids, 3, 42)).isEqualTo(first);
        assertThat(half.select(ids, 4, 42)).isNotEqualTo(first);
        assertThat(half.size(3)).isEqualTo(2);
        assertThat(half.size(1)).isZero();
        assertThat(Selection.count(5).size(10)).isEqualTo(5);
        assertThat(Selection.count(5).size(3)).as("count waits for its devices").isZero();
        assertThat(Selection.upTo(5).size(3)).as("upTo takes what is eligible").isEqualTo(3);
        assertThat(Selection.upTo(5).size(10)).isEqualTo(5);
    }

    @Test
    void aggregate_weighsStaleDeltasByOneOverRootOfOnePlusStaleness() {
        ReptileStrategy s = new ReptileStrategy(1.0, false, 10, Selection.count(2));
        List<Reply> replies = List.of(new Reply("fresh", new float[] {1f}, 10, 0, 0, 0),
                new Reply("stale", new float[] {-1f}, 10, 0, 0, 3));

        float[] actual = s.aggregate(1, new float[] {0f}, replies, List.of());

        // weights 10 and 10 / sqrt(4) = 5: (10 - 5) / 15
        assertThat(actual[0]).isCloseTo(1f / 3, org.assertj.core.api.Assertions.within(1e-6f));
    }
}
