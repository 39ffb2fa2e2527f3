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
 * Signs what the coordinator sends with Ed25519 (JDK built-in, or a given provider's): model snapshots, train tasks,
 * deploys and rejects. A snapshot signature covers {@link #signedBytes}: a domain tag, the model id, the version
 * and the model's canonical {@link ModelCodec} encoding, so neither the parameters nor the version
 * can be swapped. A task signature covers {@link #taskBytes} (every field and the device it is for,
 * so it cannot be replayed to another device or past its deadline), a reject's {@link #rejectBytes}.
 * Each kind has its own domain tag, so one kind's signature is never valid for another.
 */
public final class SnapshotSigner {
    private static final byte[] DOMAIN = "tinyfed.v1/snapshot\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TASK_DOMAIN = "tinyfed.v1/task\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REJECT_DOMAIN = "tinyfed.v1/reject\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DEPLOY_DOMAIN = "tinyfed.v1/deploy\0".getBytes(StandardCharsets.US_ASCII);
    private final String keyId;
    private final PrivateKey key;
    private final java.security.Provider provider;

    public SnapshotSigner(String keyId, PrivateKey key) {
        this.keyId = Limits.isValidId(keyId) ? keyId : fail(keyId);
        this.key = key;
        this.provider = null;
    }

    /**
     * A signer whose Ed25519 comes from {@code provider} (the key converted to it once). Ed25519 signatures are
     * deterministic, so they are the same bytes whoever computes them; a coordinator signing a task for each of
     * thousands of devices per round uses a faster implementation than JDK 17's (BouncyCastle's: 25 us against 500 us
     * a signature here).
     */
    public SnapshotSigner(String keyId, PrivateKey key, java.security.Provider provider) {
        this.keyId = Limits.isValidId(keyId) ? keyId : fail(keyId);
        this.provider = java.util.Objects.requireNonNull(provider, "provider");
        try {
            this.key = java.security.KeyFactory.getInstance("Ed25519", provider)
                    .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(provider.getName() + " cannot take this Ed25519 key: " + e.getMessage(), e);
        }
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
        return new ModelSnapshot(modelId, version, model, keyId, sign(signedBytes(modelId, version, model)), createdAt);
    }

    /** The signature of {@code task} for device {@code deviceId}. */
    public byte[] signTask(TrainTask task, String deviceId) {
        return sign(taskBytes(task, deviceId));
    }

    /** The signature of {@code reject}. */
    public byte[] signReject(Reject reject) {
        return sign(rejectBytes(reject));
    }

    /** The signature of {@code deploy} for device {@code deviceId}. */
    public byte[] signDeploy(Deploy deploy, String deviceId) {
        return sign(deployBytes(deploy, deviceId));
    }

    private byte[] sign(byte[] bytes) {
        try {
            Signature s = provider == null ? Signature.getInstance("Ed25519") : Signature.getInstance("Ed25519", provider);
            s.initSign(key);
            s.update(bytes);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing failed", e);
        }
    }

    /** The exact bytes a task signature covers. */
    public static byte[] taskBytes(TrainTask t, String deviceId) {
        byte[] device = deviceId.getBytes(StandardCharsets.UTF_8);
        byte[] model = t.modelId().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(TASK_DOMAIN.length + device.length + 1 + model.length + 1 + 4 + 8 + 4 + 4 + 4 + 8 + 4 + 4)
                .order(ByteOrder.LITTLE_ENDIAN).put(TASK_DOMAIN).put(device).put((byte) 0).put(model).put((byte) 0)
                .putInt(t.round()).putLong(t.modelVersion()).putInt(t.innerSteps())
                .putInt(Float.floatToIntBits(t.learningRate())).putInt(t.batchSize())
                .putLong(t.deadline().toEpochMilli()).putInt(t.uplinkPermille()).putInt(t.personalLayers()).array();
    }

    /**
     * The exact bytes a deploy signature covers: every field, the device it is for, and the inline
     * snapshot's model id, version and signature (which itself covers the parameters), so neither
     * the version nor the instruction can be swapped or replayed to another device.
     */
    public static byte[] deployBytes(Deploy d, String deviceId) {
        byte[] device = deviceId.getBytes(StandardCharsets.UTF_8);
        byte[] rollout = d.rolloutId().getBytes(StandardCharsets.UTF_8);
        byte[] model = d.snapshot() == null ? new byte[0] : d.snapshot().modelId().getBytes(StandardCharsets.UTF_8);
        byte[] snapshotSignature = d.snapshot() == null ? new byte[0] : d.snapshot().signature();
        return ByteBuffer.allocate(DEPLOY_DOMAIN.length + device.length + 1 + rollout.length + 1 + 4 + 1 + model.length
                        + 1 + 8 + 4 + 4 + 4 + 8 + snapshotSignature.length)
                .order(ByteOrder.LITTLE_ENDIAN).put(DEPLOY_DOMAIN).put(device).put((byte) 0).put(rollout).put((byte) 0)
                .putInt(d.wave()).put((byte) d.action().ordinal()).put(model).put((byte) 0)
                .putLong(d.snapshot() == null ? -1 : d.snapshot().version()).putInt(d.shadowSamples())
                .putInt(d.personaliseSteps()).putInt(Float.floatToIntBits(d.personaliseLearningRate()))
                .putLong(d.issuedAt().toEpochMilli()).put(snapshotSignature).array();
    }

    /** The exact bytes a reject signature covers. */
    public static byte[] rejectBytes(Reject r) {
        byte[] device = r.deviceId().getBytes(StandardCharsets.UTF_8);
        byte[] reason = r.reason().name().getBytes(StandardCharsets.US_ASCII);
        byte[] detail = r.detail().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(REJECT_DOMAIN.length + device.length + 1 + reason.length + 1 + 4 + detail.length)
                .order(ByteOrder.LITTLE_ENDIAN).put(REJECT_DOMAIN).put(device).put((byte) 0).put(reason).put((byte) 0)
                .putInt(r.round()).put(detail).array();
    }

    /** The exact bytes a snapshot signature covers. */
    public static byte[] signedBytes(String modelId, long version, Model model) {
        byte[] id = modelId.getBytes(StandardCharsets.UTF_8);
        byte[] body = ModelCodec.encode(model);
        return ByteBuffer.allocate(DOMAIN.length + id.length + 1 + 8 + body.length).order(ByteOrder.LITTLE_ENDIAN)
                .put(DOMAIN).put(id).put((byte) 0).putLong(version).put(body).array();
    }
}
