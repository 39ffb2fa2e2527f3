package io.tinyfed.protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The file of coordinator public keys a device trusts: one line per key,
 * {@code keyId base64(X.509 SubjectPublicKeyInfo)}; blank lines and {@code #} comments ignored.
 */
public final class TrustedKeys {
    private TrustedKeys() {
    }

    public static String line(String keyId, PublicKey key) {
        return keyId + " " + Base64.getEncoder().encodeToString(key.getEncoded());
    }

    public static void write(Path file, String keyId, PublicKey key) throws IOException {
        Files.writeString(file, "# TinyFed coordinator snapshot keys\n" + line(keyId, key) + "\n", StandardCharsets.US_ASCII);
    }

    /** Reads a trust file; a malformed line fails with its line number. */
    public static Map<String, PublicKey> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2 || !Limits.isValidId(parts[0])) {
                throw new IOException(file + ":" + (n + 1) + ": expected 'keyId base64-key'");
            }
            try {
                keys.put(parts[0], KeyFactory.getInstance("Ed25519")
                        .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(parts[1]))));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new IOException(file + ":" + (n + 1) + ": not an Ed25519 public key: " + e.getMessage(), e);
            }
        }
        if (keys.isEmpty()) {
            throw new IOException(file + ": no keys");
        }
        return keys;
    }
}
