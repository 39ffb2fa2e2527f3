package io.tinyfed.agent;

import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.TrainTask;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Gateway pre-aggregation for one task: the updates of the devices behind a gateway are summed, weighted by their
 * sample counts, into the one update the gateway sends, so the coordinator's work grows with gateways, not devices.
 * The update carries the weighted mean {@code sum(n_i delta_i) / sum(n_i)} with weight {@code sum(n_i)}, so the
 * coordinator's sample-weighted mean over gateways equals its mean over every device. Each device update is checked
 * first (shape, finite values, norm bound, one per device), refused ones are counted by reason and leave the sum
 * untouched. Sums are kept in double. Not thread-safe: one aggregator per task, on the gateway's worker.
 */
public final class GatewayAggregator {
    private final TrainTask task;
    private final String gatewayId;
    private final double normBound;
    private final double[] weightedSum;
    private final Set<String> contributors = new HashSet<>();
    private final Map<RejectReason, Long> refused = new EnumMap<>(RejectReason.class);
    private long samples;
    private double lossBefore;
    private double lossAfter;

    /**
     * @param parameterCount length of every delta (the model's parameter count)
     * @param normBound      largest accepted L2 norm of a device's delta ({@code Double.POSITIVE_INFINITY}: none)
     */
    public GatewayAggregator(TrainTask task, String gatewayId, int parameterCount, double normBound) {
        this.task = task;
        this.gatewayId = gatewayId;
        this.normBound = normBound;
        this.weightedSum = new double[parameterCount];
    }

    /** Adds one device's update; empty when it was summed, else the reason it was refused. */
    public Optional<RejectReason> add(String deviceId, float[] delta, int sampleCount, float before, float after) {
        Optional<RejectReason> reason = check(deviceId, delta, sampleCount);
        if (reason.isPresent()) {
            refused.merge(reason.get(), 1L, Long::sum);
            return reason;
        }
        for (int i = 0; i < delta.length; i++) {
            weightedSum[i] += (double) sampleCount * delta[i];
        }
        contributors.add(deviceId);
        samples += sampleCount;
        lossBefore += (double) sampleCount * before;
        lossAfter += (double) sampleCount * after;
        return Optional.empty();
    }

    private Optional<RejectReason> check(String deviceId, float[] delta, int sampleCount) {
        if (delta.length != weightedSum.length) {
            return Optional.of(RejectReason.WRONG_SHAPE);
        }
        if (sampleCount < 1) {
            return Optional.of(RejectReason.INVALID_FIELD);
        }
        if (!Float.isFinite(firstNonFinite(delta))) {
            return Optional.of(RejectReason.NON_FINITE);
        }
        double sq = 0;
        for (float v : delta) {
            sq += (double) v * v;
        }
        if (Math.sqrt(sq) > normBound) {
            return Optional.of(RejectReason.NORM_BOUND);
        }
        if (contributors.contains(deviceId)) {
            return Optional.of(RejectReason.DUPLICATE);
        }
        return Optional.empty();
    }

    /** The first non-finite value, or 0 when every value is finite. */
    private static float firstNonFinite(float[] delta) {
        for (float v : delta) {
            if (!Float.isFinite(v)) {
                return v;
            }
        }
        return 0f;
    }

    /** Device updates summed so far. */
    public int contributors() {
        return contributors.size();
    }

    /** Device updates refused so far, by reason. */
    public Map<RejectReason, Long> refused() {
        return Map.copyOf(refused);
    }

    /** The gateway's update for the task, or empty when no device update was summed. */
    public Optional<ModelUpdate> update() {
        if (contributors.isEmpty()) {
            return Optional.empty();
        }
        if (samples > Integer.MAX_VALUE) {
            throw new IllegalStateException("more than " + Integer.MAX_VALUE + " samples behind one gateway");
        }
        float[] mean = new float[weightedSum.length];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (float) (weightedSum[i] / samples);
        }
        return Optional.of(new ModelUpdate(task.round(), gatewayId, task.modelId(), task.modelVersion(), mean, (int) samples,
                (float) (lossBefore / samples), (float) (lossAfter / samples), contributors.size()));
    }
}
