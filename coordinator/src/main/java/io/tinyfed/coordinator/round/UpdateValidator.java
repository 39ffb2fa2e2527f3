package io.tinyfed.coordinator.round;

import io.tinyfed.coordinator.strategy.Failure;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.RejectReason;
import java.util.Optional;
import java.util.Set;

/**
 * Checks one decoded update against the open round, in a fixed order so the reason reported is
 * the most basic one that applies. Pure: the round's facts come in as arguments.
 *
 * @param normBound          largest accepted L2 norm of a delta ({@code Double.POSITIVE_INFINITY} for none); the
 *                           round-relative bound is {@link io.tinyfed.coordinator.strategy.Screening}'s
 * @param maxSamplesPerDevice largest sample count one device may claim; an update pre-aggregated from
 *                           {@code contributors} devices may claim that many times as much
 */
public record UpdateValidator(double normBound, int maxSamplesPerDevice) {
    /** Far more than any TinyFed device keeps for a round, far less than a weight that takes over a round. */
    public static final int DEFAULT_MAX_SAMPLES = 10_000;

    public UpdateValidator {
        if (!(normBound > 0) || maxSamplesPerDevice < 1) {
            throw new IllegalArgumentException("norm bound must be positive and the sample cap at least 1");
        }
    }

    public UpdateValidator(double normBound) {
        this(normBound, DEFAULT_MAX_SAMPLES);
    }

    /** Facts about the open round the validator needs. */
    public record OpenRound(int round, String modelId, long baseVersion, int parameterCount, Set<String> selected,
                            Set<String> alreadyAccepted) {
    }

    /**
     * Empty when the update may be aggregated; the failure (with its reason) otherwise.
     *
     * @param open         the open round, or null when none is open
     * @param closedRounds rounds already closed (an update for one of them is LATE)
     */
    public Optional<Failure> check(String topicDeviceId, ModelUpdate u, OpenRound open, Set<Integer> closedRounds) {
        return check(topicDeviceId, u, open, closedRounds, 0);
    }

    /**
     * As {@link #check(String, ModelUpdate, OpenRound, Set)}, and a device's own update (one contributor) claims
     * at most {@code declaredCapacity} samples, the recent samples its hello says it keeps (0: not said).
     */
    public Optional<Failure> check(String topicDeviceId, ModelUpdate u, OpenRound open, Set<Integer> closedRounds,
                                   int declaredCapacity) {
        String id = topicDeviceId;
        if (!u.deviceId().equals(topicDeviceId)) {
            return fail(id, RejectReason.IDENTITY_MISMATCH, "payload claims device '" + u.deviceId() + "'");
        }
        if (open == null || u.round() != open.round()) {
            return fail(id, closedRounds.contains(u.round()) ? RejectReason.LATE : RejectReason.WRONG_ROUND,
                    "update for round " + u.round() + ", open round " + (open == null ? "none" : open.round()));
        }
        if (!open.selected().contains(id)) {
            return fail(id, RejectReason.UNKNOWN_DEVICE, "device was not selected for round " + open.round());
        }
        if (!u.modelId().equals(open.modelId())) {
            return fail(id, RejectReason.INVALID_FIELD, "update for model '" + u.modelId() + "', round trains '"
                    + open.modelId() + "'");
        }
        if (u.baseVersion() != open.baseVersion()) {
            return fail(id, RejectReason.STALE_BASE_VERSION, "delta relative to version " + u.baseVersion()
                    + ", round base is " + open.baseVersion());
        }
        float[] d = u.delta();
        if (d.length != open.parameterCount()) {
            return fail(id, RejectReason.WRONG_SHAPE, d.length + " values, model has " + open.parameterCount());
        }
        long maxSamples = (long) maxSamplesPerDevice * u.contributors();
        boolean declared = u.contributors() == 1 && declaredCapacity > 0 && declaredCapacity < maxSamples;
        if (declared) {
            maxSamples = declaredCapacity;
        }
        if (u.sampleCount() < 1 || u.sampleCount() > maxSamples) {
            return fail(id, RejectReason.INVALID_FIELD, "claims " + Integer.toUnsignedString(u.sampleCount())
                    + " samples, at most " + maxSamples + (declared ? ", the samples its hello says it keeps"
                    : " from " + u.contributors() + " device(s)"));
        }
        double sq = 0;
        for (float v : d) {
            if (!Float.isFinite(v)) {
                return fail(id, RejectReason.NON_FINITE, "delta holds " + v);
            }
            sq += (double) v * v;
        }
        double norm = Math.sqrt(sq);
        if (norm > normBound) {
            return fail(id, RejectReason.NORM_BOUND, String.format("delta norm %.4g exceeds %.4g", norm, normBound));
        }
        if (open.alreadyAccepted().contains(id)) {
            return fail(id, RejectReason.DUPLICATE, "second update for round " + open.round());
        }
        return Optional.empty();
    }

    private static Optional<Failure> fail(String id, RejectReason reason, String detail) {
        return Optional.of(new Failure(id, reason, detail));
    }
}
