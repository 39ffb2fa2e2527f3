package io.tinyfed.coordinator.store;

import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.TrustedKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;

/**
 * The coordinator's Ed25519 snapshot key: {@code keys/coordinator.key} (PKCS#8, owner-only) is
 * created on first start; {@code keys/trust.keys} is the file agents pass to {@code --trust}.
 */
public final class CoordinatorKeys {
    private CoordinatorKeys() {
    }

    public static SnapshotSigner loadOrCreate(Path storeDir, String keyId) throws IOException {
        Path keys = Files.createDirectories(storeDir.resolve("keys"));
        Path privateFile = keys.resolve("coordinator.key");
        if (!Files.exists(privateFile)) {
            KeyPair pair = SnapshotSigner.generateKeyPair();
            // Owner-only from the moment the file exists, and in place only once the trust file matches it:
            // a crash in between leaves no key, and the next start makes both again.
            TrustedKeys.write(keys.resolve("trust.keys"), keyId, pair.getPublic());
            OwnerOnlyFiles.write(privateFile, pair.getPrivate().getEncoded());
        }
        try {
            PrivateKey key = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(privateFile)));
            // BouncyCastle's Ed25519 (already here for the fleet CA): a round signs a task for every selected device
            return new SnapshotSigner(keyId, key, new org.bouncycastle.jce.provider.BouncyCastleProvider());
        } catch (GeneralSecurityException e) {
            throw new IOException(privateFile + " is not an Ed25519 PKCS#8 key", e);
        }
    }

    public static Path trustFile(Path storeDir) {
        return storeDir.resolve("keys").resolve("trust.keys");
    }
}
