package io.tinyfed.protocol;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Map;

/** Verifies snapshot signatures against the coordinator keys a device trusts, by key id. */
public final class SnapshotVerifier {
    private final Map<String, PublicKey> trusted;

    public SnapshotVerifier(Map<String, PublicKey> trusted) {
        this.trusted = Map.copyOf(trusted);
    }

    /** Returns normally only when a trusted key signed exactly this snapshot. */
    public void verify(ModelSnapshot snapshot) throws ProtocolException {
        PublicKey key = trusted.get(snapshot.keyId());
        if (key == null) {
            throw new ProtocolException(RejectReason.BAD_SIGNATURE, "snapshot " + snapshot.modelId() + " v"
                    + snapshot.version() + " is signed by unknown key '" + snapshot.keyId() + "'");
        }
        boolean ok;
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(SnapshotSigner.signedBytes(snapshot.modelId(), snapshot.version(), snapshot.model()));
            ok = s.verify(snapshot.signature());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            ok = false;
        }
        if (!ok) {
            throw new ProtocolException(RejectReason.BAD_SIGNATURE, "snapshot " + snapshot.modelId() + " v"
                    + snapshot.version() + " does not match its signature");
        }
    }
}
