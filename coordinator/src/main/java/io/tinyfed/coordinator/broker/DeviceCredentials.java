package io.tinyfed.coordinator.broker;

import io.tinyfed.protocol.Limits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Device passwords for the embedded broker, stored as PBKDF2-HMAC-SHA256 hashes (JDK built-in):
 * one line per device, {@code deviceId pbkdf2-sha256$iterations$salt$hash} (Base64). A password a
 * person chose gets 100,000 iterations (about 22 ms of CPU per login here); a secret this class
 * generated ({@link #generate}: 128 random bits) gets 1,000, because stretching protects guessable
 * passwords and a 2^128 search is out of reach at any iteration count, while a fleet of 10,000
 * devices logging in again after a broker restart would otherwise cost minutes of CPU.
 * Verification is constant-time; a file with a malformed line is refused with its line number.
 */
public final class DeviceCredentials {
    private static final int ITERATIONS = 100_000;
    private static final int GENERATED_ITERATIONS = 1_000;
    private static final String SCHEME = "pbkdf2-sha256";
    private final Map<String, String> hashes;

    private DeviceCredentials(Map<String, String> hashes) {
        this.hashes = hashes;
    }

    public static DeviceCredentials empty() {
        return new DeviceCredentials(new LinkedHashMap<>());
    }

    public static DeviceCredentials read(Path file) throws IOException {
        Map<String, String> hashes = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2 || !Limits.isValidId(parts[0]) || parts[1].split("\\$").length != 4
                    || !parts[1].startsWith(SCHEME + "$")) {
                throw new IOException(file + ":" + (n + 1) + ": expected 'deviceId " + SCHEME + "$iterations$salt$hash'");
            }
            hashes.put(parts[0], parts[1]);
        }
        return new DeviceCredentials(hashes);
    }

    /** Adds or replaces a device's password (kept only as a hash). */
    public synchronized DeviceCredentials put(String deviceId, char[] password) {
        return put(deviceId, password, ITERATIONS);
    }

    /** A new random 128-bit secret for {@code deviceId} (URL-safe Base64, 22 characters), stored as its hash; returned once. */
    public char[] generate(String deviceId) {
        char[] password = newSecret();
        put(deviceId, password, GENERATED_ITERATIONS);
        return password;
    }

    /** 128 random bits as URL-safe Base64 (22 characters): a broker password for a device, a coordinator, a bridge. */
    public static char[] newSecret() {
        byte[] secret = new byte[16];
        new SecureRandom().nextBytes(secret);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(secret).toCharArray();
    }

    private synchronized DeviceCredentials put(String deviceId, char[] password, int iterations) {
        if (!Limits.isValidId(deviceId)) {
            throw new IllegalArgumentException("device id '" + deviceId + "' is not a valid identifier");
        }
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        hashes.put(deviceId, SCHEME + "$" + iterations + "$" + Base64.getEncoder().encodeToString(salt) + "$"
                + Base64.getEncoder().encodeToString(hash(password, salt, iterations)));
        return this;
    }

    public synchronized void write(Path file) throws IOException {
        StringBuilder sb = new StringBuilder("# TinyFed device credentials (PBKDF2-HMAC-SHA256)\n");
        hashes.forEach((id, h) -> sb.append(id).append(' ').append(h).append('\n'));
        Files.writeString(file, sb.toString(), StandardCharsets.US_ASCII);
    }

    public synchronized boolean contains(String deviceId) {
        return hashes.containsKey(deviceId);
    }

    public synchronized int size() {
        return hashes.size();
    }

    /** True only if {@code deviceId} is known and {@code password} matches its hash. */
    public boolean verify(String deviceId, char[] password) {
        String stored;
        synchronized (this) {
            stored = hashes.get(deviceId);
        }
        if (stored == null) {
            return false;
        }
        String[] p = stored.split("\\$");
        try {
            byte[] expected = Base64.getDecoder().decode(p[3]);
            byte[] actual = hash(password, Base64.getDecoder().decode(p[2]), Integer.parseInt(p[1]));
            return MessageDigest.isEqual(expected, actual);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] hash(char[] password, byte[] salt, int iterations) {
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(password, salt, iterations, 256)).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 unavailable", e);
        }
    }
}
