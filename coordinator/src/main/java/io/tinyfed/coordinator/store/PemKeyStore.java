package io.tinyfed.coordinator.store;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A server certificate and key given as PEM files (what {@code tinyfed coordinator ca issue} writes),
 * turned into the owner-only PKCS#12 key store that Java TLS servers (the embedded broker, Micronaut,
 * Jetty) read, under a random password, re-created at every start.
 *
 * @param file     the key store
 * @param password its password
 * @param names    the certificate's DNS and IP subject alternative names
 */
public record PemKeyStore(Path file, String password, List<String> names) {
    public PemKeyStore {
        names = List.copyOf(names);
    }

    /** Writes {@code target} from {@code certificate} (a PEM chain) and {@code key} (an unencrypted PKCS#8 PEM key). */
    public static PemKeyStore write(Path certificate, Path key, Path target) throws IOException {
        List<Certificate> chain = io.tinyfed.protocol.mqtt.TlsFiles.certificates(certificate);
        PrivateKey privateKey = io.tinyfed.protocol.mqtt.TlsFiles.privateKey(key);
        char[] password = new char[32];
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < password.length; i++) {
            password[i] = (char) ('a' + random.nextInt(26));
        }
        List<String> names = new ArrayList<>();
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("tinyfed", privateKey, password, chain.toArray(new Certificate[0]));
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            ks.store(bytes, password);
            OwnerOnlyFiles.write(target, bytes.toByteArray());
            Collection<List<?>> sans = ((X509Certificate) chain.get(0)).getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if ((Integer) san.get(0) == 2 || (Integer) san.get(0) == 7) { // dNSName, iPAddress
                        names.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(certificate + " and " + key + " do not make a key store: " + e.getMessage(), e);
        }
        return new PemKeyStore(target, new String(password), names);
    }
}
