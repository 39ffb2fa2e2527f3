package io.tinyfed.protocol;

import io.tinyfed.core.Model;
import java.time.Instant;

/**
 * A versioned meta-model as published on the model topic, with the coordinator's Ed25519
 * signature over {@link SnapshotSigner#signedBytes}. A device must {@link SnapshotVerifier#verify}
 * it before loading {@link #model()}.
 */
public record ModelSnapshot(String modelId, long version, Model model, String keyId, byte[] signature,
                            Instant createdAt) {
    public ModelSnapshot {
        signature = signature.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }
}
