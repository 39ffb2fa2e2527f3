package io.tinyfed.coordinator.strategy;

import io.tinyfed.core.Reptile;
import java.util.ArrayList;
import java.util.List;

/**
 * Batched federated Reptile: {@code theta + epsilon_r * weighted_mean(delta_i)} with weights the
 * devices' sample counts and {@code epsilon_r = epsilon0 * (1 - r / rounds)} (linear annealing, as
 * in Reptile's sine experiments) or constant. The math is {@link Reptile#outerStep}, the same code
 * the devices run. FedAvg is the special case {@code epsilon = 1} without annealing
 * ({@link #fedAvg}): the devices' models are averaged. With a {@link RobustAggregation} the deltas are
 * clipped and combined by a coordinate-wise trimmed mean or median instead of the weighted mean. A stale delta (computed
 * on a version {@code s} versions older than the one it is applied to, in asynchronous aggregation) weighs
 * {@link #stalenessWeight} times its sample count, as in FedBuff.
 */
public final class ReptileStrategy implements Strategy {
    private final String name;
    private final double epsilon0;
    private final boolean anneal;
    private final int rounds;
    private final Selection selection;
    private final RobustAggregation aggregation;

    public ReptileStrategy(double epsilon0, boolean anneal, int rounds, Selection selection) {
        this("reptile", epsilon0, anneal, rounds, selection, RobustAggregation.MEAN);
    }

    /** Reptile with a robust combination of the deltas (clipping, trimmed mean, median). */
    public ReptileStrategy(double epsilon0, boolean anneal, int rounds, Selection selection, RobustAggregation aggregation) {
        this(aggregation.rule() == RobustAggregation.Rule.MEAN && aggregation.clipNorm() == 0 ? "reptile"
                : "reptile-" + aggregation.rule().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')
                + (aggregation.clipNorm() != 0 ? "-clipped" : ""), epsilon0, anneal, rounds, selection, aggregation);
    }

    private ReptileStrategy(String name, double epsilon0, boolean anneal, int rounds, Selection selection,
                            RobustAggregation aggregation) {
        if (!(epsilon0 > 0) || rounds < 1) {
            throw new IllegalArgumentException("epsilon0 must be positive and rounds >= 1");
        }
        this.name = name;
        this.epsilon0 = epsilon0;
        this.anneal = anneal;
        this.rounds = rounds;
        this.selection = selection;
        this.aggregation = aggregation;
    }

    /** Federated averaging of the adapted models (joint training), for comparison. */
    public static ReptileStrategy fedAvg(int rounds, Selection selection) {
        return new ReptileStrategy("fedavg", 1.0, false, rounds, selection, RobustAggregation.MEAN);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double outerStepSize(int round) {
        return epsilon(round);
    }

    /** The outer step size of round {@code round} (1-based). */
    public double epsilon(int round) {
        if (!anneal) {
            return epsilon0;
        }
        return epsilon0 * Math.max(0.0, 1.0 - (double) (round - 1) / rounds);
    }

    /** How much a delta {@code staleness} versions old counts against a fresh one: {@code 1 / sqrt(1 + s)}. */
    public static double stalenessWeight(int staleness) {
        return 1.0 / Math.sqrt(1.0 + staleness);
    }

    @Override
    public List<String> configureRound(int round, List<String> eligibleSorted, long seed) {
        return selection.select(eligibleSorted, round, seed);
    }

    @Override
    public float[] aggregate(int round, float[] theta, List<Reply> replies, List<Failure> failures) {
        if (replies.isEmpty()) {
            throw new IllegalArgumentException("round " + round + " has no accepted update to aggregate");
        }
        List<float[]> deltas = new ArrayList<>(replies.size());
        double[] weights = new double[replies.size()];
        for (int i = 0; i < replies.size(); i++) {
            deltas.add(replies.get(i).delta());
            weights[i] = replies.get(i).sampleCount() * stalenessWeight(replies.get(i).staleness());
        }
        if (aggregation.equals(RobustAggregation.MEAN)) {
            return Reptile.outerStep(theta, deltas, weights, epsilon(round));
        }
        float[] combined = aggregation.combine(deltas, weights);
        return Reptile.outerStep(theta, List.of(combined), new double[] {1}, epsilon(round));
    }
}
