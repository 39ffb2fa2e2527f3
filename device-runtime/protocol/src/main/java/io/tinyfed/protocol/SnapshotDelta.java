package io.tinyfed.protocol;

import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.SparseDelta;
import java.time.Instant;

/**
 * A model version sent as its change from the version before, for devices that hold that one: {@code delta} added to
 * version {@code fromVersion}'s float32 parameters ({@link SparseDelta#addTo}) gives exactly version
 * {@code toVersion}, whose snapshot signature this carries. A device rebuilds the snapshot with {@link #applyTo} and
 * verifies it as it would verify the full one, so a delta signs nothing new and cannot make a device load a version
 * the coordinator did not sign. Published on {@code model/{modelId}/delta} ({@link Topics#modelDelta}); the full
 * snapshot stays retained on the model topic for devices that hold no version or another one.
 */
public record SnapshotDelta(String modelId, long fromVersion, long toVersion, SparseDelta delta, String keyId,
                            byte[] signature, Instant createdAt) {
    public SnapshotDelta {
        if (toVersion != fromVersion + 1 || fromVersion < 1) {
            throw new IllegalArgumentException("a snapshot delta goes from a version to the next, got " + fromVersion
                    + " -> " + toVersion);
        }
        signature = signature.clone();
    }

    /** The delta from {@code base} to {@code next} as sent: {@code next}'s signature, {@code delta} its change. */
    public static SnapshotDelta between(ModelSnapshot base, ModelSnapshot next, SparseDelta delta) {
        return new SnapshotDelta(next.modelId(), base.version(), next.version(), delta, next.keyId(), next.signature(),
                next.createdAt());
    }

    /**
     * The snapshot of {@link #toVersion}: {@code base}'s parameters plus the delta, with this delta's signature. The
     * caller verifies it ({@link SnapshotVerifier#verify}) before use: a delta applied to another base does not verify.
     *
     * @throws ProtocolException if {@code base} is not version {@link #fromVersion} of this model in F32 with the
     *                           delta's parameter count
     */
    public ModelSnapshot applyTo(ModelSnapshot base) throws ProtocolException {
        if (!base.modelId().equals(modelId) || base.version() != fromVersion) {
            throw new ProtocolException(RejectReason.STALE_BASE_VERSION, "delta of " + modelId + " from v" + fromVersion
                    + " for a device holding " + base.modelId() + " v" + base.version());
        }
        Model model = base.model();
        if (model.format() != NumberFormat.F32 || model.parameterCount() != delta.parameterCount()) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, "delta of " + delta.parameterCount()
                    + " values for a " + model.format() + " model of " + model.parameterCount() + " parameters");
        }
        float[] theta = model.toRealVector();
        delta.addTo(theta);
        return new ModelSnapshot(modelId, toVersion, model.withRealParameters(theta), keyId, signature, createdAt);
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }
}
