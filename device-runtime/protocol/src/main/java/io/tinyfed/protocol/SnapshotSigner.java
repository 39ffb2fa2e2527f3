package io.tinyfed.protocol;

import io.tinyfed.core.Model;
import io.tinyfed.core.ModelCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;

/**
 * Signs model snapshots with Ed25519 (JDK built-in). The signature covers
 * {@link #signedBytes}: a domain tag, the model id, the version and the model's canonical
 * {@link ModelCodec} encoding, so neither the parameters nor the version can be swapped.
 */
public final class SnapshotSigner {
    private static final byte[] DOMAIN = "tinyfed.v1/snapshot\0".getBytes(StandardCharsets.US_ASCII);
    private final String keyId;
    private final PrivateKey key;

    public SnapshotSigner(String keyId, PrivateKey key) {
        this.keyId = Limits.isValidId(keyId) ? keyId : fail(keyId);
        this.key = key;
    }

    private static String fail(String keyId) {
        throw new IllegalArgumentException("key id '" + keyId + "' is not a valid identifier");
    }

    /** A fresh Ed25519 key pair. */
    public static KeyPair generateKeyPair() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no Ed25519", e);
        }
    }

    public String keyId() {
        return keyId;
    }

    public ModelSnapshot sign(String modelId, long version, Model model, Instant createdAt) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(signedBytes(modelId, version, model));
            return new ModelSnapshot(modelId, version, model, keyId, s.sign(), createdAt);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing failed", e);
        }
    }

    /** The exact bytes a snapshot signature covers. */
    public static byte[] signedBytes(String modelId, long version, Model model) {
        byte[] id = modelId.getBytes(StandardCharsets.UTF_8);
        byte[] body = ModelCodec.encode(model);
        return ByteBuffer.allocate(DOMAIN.length + id.length + 1 + 8 + body.length).order(ByteOrder.LITTLE_ENDIAN)
                .put(DOMAIN).put(id).put((byte) 0).putLong(version).put(body).array();
    }
}
