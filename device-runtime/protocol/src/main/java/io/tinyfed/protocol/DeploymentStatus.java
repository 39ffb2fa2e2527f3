package io.tinyfed.protocol;

/**
 * What a device reports (retained) about its deployments: the version it serves, the one it would
 * return to, and how the last deploy of {@code rolloutId} went. Versions are -1 when there is none;
 * losses are NaN until measured.
 *
 * @param servingVersion  the version of {@code modelId} the device serves now
 * @param previousVersion the version a rollback returns to
 * @param targetVersion   the version the rollout deploys
 * @param shadowSamples   live samples on which candidate and previous were compared so far
 * @param candidateLoss   mean prequential loss of the rollout's version on those samples
 * @param previousLoss    mean prequential loss of the version served before, on the same samples
 * @param format          the number format the served version runs in; null when nothing is served
 * @param genericLoss     with personalisation, the mean prequential loss of the rollout's version as released
 *                        (not personalised) on the same samples: what personalising gained; NaN otherwise
 */
public record DeploymentStatus(String deviceId, String rolloutId, int wave, State state, String modelId,
                               long servingVersion, long previousVersion, long targetVersion, String reason,
                               int shadowSamples, double candidateLoss, double previousLoss, boolean personalised,
                               io.tinyfed.core.NumberFormat format, double genericLoss) {

    public enum State {
        /** Verified, being prepared. */
        RECEIVED,
        /** Serving the candidate while the previous version runs beside it on the same samples. */
        SHADOWING,
        /** Installed; the shadow figures are final. */
        SERVING,
        /** Refused with {@code reason}; the device serves what it served before. */
        FAILED,
        /** Returned to the version served before the rollout's install. */
        ROLLED_BACK;

        /** True once the device has nothing more to report for its deploy. */
        public boolean settled() {
            return this == SERVING || this == FAILED || this == ROLLED_BACK;
        }
    }

    public DeploymentStatus {
        reason = reason == null ? "" : reason;
    }

    /** A status without a generic (unpersonalised) figure. */
    public DeploymentStatus(String deviceId, String rolloutId, int wave, State state, String modelId, long servingVersion,
                            long previousVersion, long targetVersion, String reason, int shadowSamples,
                            double candidateLoss, double previousLoss, boolean personalised,
                            io.tinyfed.core.NumberFormat format) {
        this(deviceId, rolloutId, wave, state, modelId, servingVersion, previousVersion, targetVersion, reason,
                shadowSamples, candidateLoss, previousLoss, personalised, format, Double.NaN);
    }

    /** Candidate loss over previous loss; NaN when either is unknown. */
    public double lossRatio() {
        if (!(previousLoss > 0) || Double.isNaN(candidateLoss)) {
            return Double.NaN;
        }
        return candidateLoss / previousLoss;
    }
}
