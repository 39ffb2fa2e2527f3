package io.tinyfed.agent;

import io.tinyfed.core.Statistics;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.TrainTask;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
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
 *
 * <p>A gateway is also where one compromised device behind it would hide: its update is summed with its neighbours'
 * before the coordinator sees anything, so the coordinator's robust statistics see only the gateway's mean. With
 * {@link Robust} settings the gateway applies them itself: a device may claim at most so many samples (more is refused,
 * or one device could outweigh all its neighbours), and each device's delta is clipped to a multiple of the median norm
 * of the device deltas of the task before it is summed, as the coordinator clips the updates of a round. Clipping needs
 * every norm first, so the deltas are kept until {@link #update()} (memory grows with the devices behind the gateway);
 * without clipping only the running sum is kept.
 */
public final class GatewayAggregator {
    /**
     * What the gateway enforces on its devices' updates.
     *
     * @param clipRatio           each device delta is scaled down to at most this many times the median norm of the
     *                            task's accepted device deltas (0: no clipping)
     * @param maxSamplesPerDevice largest sample count one device may claim (its weight in the gateway's mean)
     */
    public record Robust(double clipRatio, int maxSamplesPerDevice) {
        /** The coordinator's defaults: clip to twice the median norm, at most 10,000 samples per device. */
        public static final Robust DEFAULT = new Robust(2.0, 10_000);
        /** No clipping and no sample cap: the gateway's mean is exactly the mean over its devices. */
        public static final Robust NONE = new Robust(0, Integer.MAX_VALUE);

        public Robust {
            if (!(clipRatio >= 0) || Double.isInfinite(clipRatio) || maxSamplesPerDevice < 1) {
                throw new IllegalArgumentException("clip ratio must be >= 0 and finite and samples per device >= 1, got "
                        + clipRatio + " and " + maxSamplesPerDevice);
            }
        }
    }

    private final TrainTask task;
    private final String gatewayId;
    private final double normBound;
    private final Robust robust;
    private final double[] weightedSum;
    /** With clipping: the accepted deltas and sample counts (norms in {@link #acceptedNorms}), summed at {@link #update()}. */
    private final List<float[]> kept = new ArrayList<>();
    private final List<Integer> keptSamples = new ArrayList<>();
    private int clipped;
    private final Set<String> contributors = new HashSet<>();
    /** Every accepted device and its delta's norm, in arrival order (for the gateway's quarantine). */
    private final List<String> acceptedIds = new ArrayList<>();
    private final List<Double> acceptedNorms = new ArrayList<>();
    private final Map<RejectReason, Long> refused = new EnumMap<>(RejectReason.class);
    private long samples;
    private double lossBefore;
    private double lossAfter;

    /**
     * @param parameterCount length of every delta (the model's parameter count)
     * @param normBound      largest accepted L2 norm of a device's delta ({@code Double.POSITIVE_INFINITY}: none)
     */
    public GatewayAggregator(TrainTask task, String gatewayId, int parameterCount, double normBound) {
        this(task, gatewayId, parameterCount, normBound, Robust.NONE);
    }

    /** An aggregator that enforces {@code robust} on the device updates (see the class description). */
    public GatewayAggregator(TrainTask task, String gatewayId, int parameterCount, double normBound, Robust robust) {
        this.task = task;
        this.gatewayId = gatewayId;
        this.normBound = normBound;
        this.robust = java.util.Objects.requireNonNull(robust, "robust");
        this.weightedSum = new double[parameterCount];
    }

    /** Adds one device's update; empty when it was summed, else the reason it was refused. */
    public Optional<RejectReason> add(String deviceId, float[] delta, int sampleCount, float before, float after) {
        double norm = Statistics.l2Norm(delta);
        Optional<RejectReason> reason = check(deviceId, delta, sampleCount, norm);
        if (reason.isPresent()) {
            refused.merge(reason.get(), 1L, Long::sum);
            return reason;
        }
        acceptedIds.add(deviceId);
        acceptedNorms.add(norm);
        if (robust.clipRatio() > 0) {
            kept.add(delta.clone());
            keptSamples.add(sampleCount);
        } else {
            for (int i = 0; i < delta.length; i++) {
                weightedSum[i] += (double) sampleCount * delta[i];
            }
        }
        contributors.add(deviceId);
        samples += sampleCount;
        lossBefore += (double) sampleCount * before;
        lossAfter += (double) sampleCount * after;
        return Optional.empty();
    }

    private Optional<RejectReason> check(String deviceId, float[] delta, int sampleCount, double norm) {
        if (delta.length != weightedSum.length) {
            return Optional.of(RejectReason.WRONG_SHAPE);
        }
        if (sampleCount < 1 || sampleCount > robust.maxSamplesPerDevice()) {
            return Optional.of(RejectReason.INVALID_FIELD);
        }
        if (!Float.isFinite(firstNonFinite(delta))) {
            return Optional.of(RejectReason.NON_FINITE);
        }
        if (norm > normBound) {
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

    /**
     * Counts this task's strikes in the gateway's {@code quarantine} (kept by the gateway across tasks; it asks no
     * quarantined device again): the devices whose accepted deltas stand out from their neighbours'. Returns the
     * devices quarantined by this task.
     */
    public List<String> recordStrikes(io.tinyfed.core.Quarantine quarantine) {
        return quarantine.record(acceptedIds, acceptedNorms.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Device deltas the last {@link #update()} scaled down to the clip norm. */
    public int clipped() {
        return clipped;
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
        double[] sum = robust.clipRatio() > 0 ? clippedSum() : weightedSum;
        float[] mean = new float[sum.length];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (float) (sum[i] / samples);
        }
        return Optional.of(new ModelUpdate(task.round(), gatewayId, task.modelId(), task.modelVersion(), mean, (int) samples,
                (float) (lossBefore / samples), (float) (lossAfter / samples), contributors.size()));
    }

    /** The weighted sum of the kept deltas, each scaled down to at most clipRatio x their median norm. */
    private double[] clippedSum() {
        double limit = robust.clipRatio() * Statistics.median(acceptedNorms.stream().mapToDouble(Double::doubleValue)
                .toArray());
        double[] sum = new double[weightedSum.length];
        clipped = 0;
        for (int k = 0; k < kept.size(); k++) {
            double norm = acceptedNorms.get(k);
            double scale = norm > limit ? limit / norm : 1.0;
            if (norm > limit) {
                clipped++;
            }
            double w = keptSamples.get(k) * scale;
            float[] d = kept.get(k);
            for (int i = 0; i < d.length; i++) {
                sum[i] += w * d[i];
            }
        }
        return sum;
    }
}
