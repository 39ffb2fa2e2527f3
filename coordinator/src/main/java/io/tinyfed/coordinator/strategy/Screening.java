package io.tinyfed.coordinator.strategy;

import io.tinyfed.core.Statistics;
import io.tinyfed.protocol.RejectReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The round's own yardstick for the updates that passed validation, applied before any strategy
 * sees them: an update whose delta is much longer than the round's median delta is refused, no
 * device weighs more than a few times the round's median weight, and a new version that would move
 * the meta-model further than a few median deltas is refused as a whole. Absolute bounds cannot do
 * this: how long an honest delta is depends on the model, the learning rate and the round. Pure, no
 * framework; every refusal is a {@link Failure} with its numbers.
 *
 * <p>Needs at least {@link #MIN_REPLIES} updates to say what is typical: smaller rounds pass
 * unscreened (their updates are still validated, clipped by the strategy and bounded per update).
 *
 * @param normRatio   refuse an update whose L2 norm exceeds this many times the round's median norm (> 1)
 * @param weightRatio cap every update's weight (sample count) at this many times the round's median weight (>= 1)
 * @param stepRatio   refuse the round when the new version moves theta by more than this many times the
 *                    median norm of the updates it was made from (> 0)
 */
public record Screening(double normRatio, double weightRatio, double stepRatio) {
    /** Fewest updates whose median means something. */
    public static final int MIN_REPLIES = 3;

    /** On by default: one device cannot take over the model, and honest rounds are never touched in practice. */
    public static final Screening DEFAULT = new Screening(10, 4, 5);

    /** No screening at all (experiments that measure the undefended strategies). */
    public static final Screening NONE = new Screening(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY,
            Double.POSITIVE_INFINITY);

    public Screening {
        if (!(normRatio > 1) || !(weightRatio >= 1) || !(stepRatio > 0)) {
            throw new IllegalArgumentException("screening needs a norm ratio > 1, a weight ratio >= 1 and a step ratio > 0, "
                    + "got " + normRatio + ", " + weightRatio + ", " + stepRatio);
        }
    }

    /**
     * The updates to aggregate and those refused.
     *
     * @param kept       the updates that passed, in their order, weights capped
     * @param refused    the updates refused ({@link RejectReason#NORM_BOUND})
     * @param medianNorm the median L2 norm of the kept deltas (NaN when nothing is kept)
     */
    public record Screened(List<Reply> kept, List<Failure> refused, double medianNorm) {
    }

    /** Screens one round's validated updates against each other. */
    public Screened screen(List<Reply> replies) {
        if (replies.size() < MIN_REPLIES) {
            return new Screened(List.copyOf(replies), List.of(), Statistics.median(norms(replies)));
        }
        double median = Statistics.median(norms(replies));
        List<Reply> kept = new ArrayList<>();
        List<Failure> refused = new ArrayList<>();
        for (Reply r : replies) {
            double norm = Statistics.l2Norm(r.delta());
            if (norm > normRatio * median) {
                refused.add(new Failure(r.deviceId(), RejectReason.NORM_BOUND, String.format(
                        "delta norm %.4g is more than %.4g times the round's median %.4g", norm, normRatio, median)));
            } else {
                kept.add(r);
            }
        }
        if (kept.size() >= 2) {
            double[] weights = kept.stream().mapToDouble(Reply::sampleCount).toArray();
            double cap = weightRatio * Statistics.median(weights);
            for (int i = 0; i < kept.size(); i++) {
                Reply r = kept.get(i);
                if (r.sampleCount() > cap) {
                    kept.set(i, r.withSampleCount((int) Math.max(1, Math.floor(cap))));
                }
            }
        }
        return new Screened(List.copyOf(kept), List.copyOf(refused), Statistics.median(norms(kept)));
    }

    /**
     * Why the step from {@code theta} to {@code next} is refused, or empty when it is within
     * {@link #stepRatio} times {@code medianNorm} (always, when the median is unknown).
     */
    public Optional<String> checkStep(float[] theta, float[] next, double medianNorm) {
        if (!Double.isFinite(medianNorm) || Double.isInfinite(stepRatio)) {
            return Optional.empty();
        }
        double s = 0;
        for (int i = 0; i < theta.length; i++) {
            double d = (double) next[i] - theta[i];
            s += d * d;
        }
        double step = Math.sqrt(s);
        if (!Double.isFinite(step) || step > stepRatio * medianNorm) {
            return Optional.of(String.format("the new version would move theta by %.4g, more than %.4g times the "
                    + "median update norm %.4g", step, stepRatio, medianNorm));
        }
        return Optional.empty();
    }

    private static double[] norms(List<Reply> replies) {
        return replies.stream().mapToDouble(r -> Statistics.l2Norm(r.delta())).toArray();
    }
}
