package io.tinyfed.protocol;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Map;

/**
 * Verifies what the coordinator signed (snapshots, tasks, rejects) against the coordinator keys a
 * device trusts, by key id.
 */
public final class SnapshotVerifier {
    private final Map<String, PublicKey> trusted;

    public SnapshotVerifier(Map<String, PublicKey> trusted) {
        this.trusted = Map.copyOf(trusted);
    }

    /** Returns normally only when a trusted key signed exactly this snapshot. */
    public void verify(ModelSnapshot snapshot) throws ProtocolException {
        verify("snapshot " + snapshot.modelId() + " v" + snapshot.version(), snapshot.keyId(), snapshot.signature(),
                SnapshotSigner.signedBytes(snapshot.modelId(), snapshot.version(), snapshot.model()));
    }

    /** Returns normally only when a trusted key signed exactly this task for this device. */
    public void verifyTask(TrainTask task, String deviceId, String keyId, byte[] signature) throws ProtocolException {
        verify("task of round " + task.round() + " for " + deviceId, keyId, signature,
                SnapshotSigner.taskBytes(task, deviceId));
    }

    /**
     * Returns normally only when a trusted key signed exactly this deploy for this device and, for
     * an install, its snapshot.
     */
    public void verifyDeploy(Deploy deploy, String deviceId, String keyId, byte[] signature) throws ProtocolException {
        verify("deploy of rollout " + deploy.rolloutId() + " for " + deviceId, keyId, signature,
                SnapshotSigner.deployBytes(deploy, deviceId));
        if (deploy.snapshot() != null) {
            verify(deploy.snapshot());
        }
    }

    /** Returns normally only when a trusted key signed exactly this reject. */
    public void verifyReject(Reject reject, String keyId, byte[] signature) throws ProtocolException {
        verify("reject of round " + reject.round() + " for " + reject.deviceId(), keyId, signature,
                SnapshotSigner.rejectBytes(reject));
    }

    private void verify(String what, String keyId, byte[] signature, byte[] signed) throws ProtocolException {
        if (keyId.isEmpty() || signature.length == 0) {
            throw new ProtocolException(RejectReason.BAD_SIGNATURE, what + " is not signed");
        }
        PublicKey key = trusted.get(keyId);
        if (key == null) {
            throw new ProtocolException(RejectReason.BAD_SIGNATURE, what + " is signed by unknown key '" + keyId + "'");
        }
        boolean ok;
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(signed);
            ok = s.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            ok = false;
        }
        if (!ok) {
            throw new ProtocolException(RejectReason.BAD_SIGNATURE, what + " does not match its signature");
        }
    }
}
