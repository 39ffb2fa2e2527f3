package io.tinyfed.protocol.mqtt;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The PEM files of one MQTT client's TLS identity, in the form every MQTT stack reads (Mosquitto,
 * mbedTLS, OpenSSL): the CA certificate(s) that sign the broker's certificate, and optionally the
 * client's own certificate chain and its unencrypted PKCS#8 private key (EC or RSA) for mutual TLS.
 * Only the JDK is used, so a device agent carries no extra library for TLS.
 *
 * @param ca   CA certificates the broker's certificate must chain to; null: the JVM's default trust store
 * @param cert this client's certificate chain (leaf first), or null for server-authenticated TLS only
 * @param key  the private key of {@code cert}; required exactly when {@code cert} is given
 */
public record TlsFiles(Path ca, Path cert, Path key) {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    public TlsFiles {
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("a client certificate needs its key and a key its certificate: give both "
                    + "--tls-cert and --tls-key, or neither");
        }
    }

    /** TLS with the given CA only (no client certificate). */
    public static TlsFiles trusting(Path ca) {
        return new TlsFiles(ca, null, null);
    }

    /**
     * A socket factory for TLS 1.2/1.3 that trusts {@link #ca} and presents {@link #cert} when the
     * broker asks for a client certificate.
     *
     * @throws IOException naming the file that is missing or not a PEM of the expected kind
     */
    public SSLSocketFactory socketFactory() throws IOException {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (ca == null) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (Certificate c : certificates(ca)) {
                    trust.setCertificateEntry("ca-" + i++, c);
                }
                tmf.init(trust);
            }
            KeyManagerFactory kmf = null;
            if (cert != null) {
                char[] transientPassword = new char[0];
                KeyStore identity = KeyStore.getInstance("PKCS12");
                identity.load(null, null);
                identity.setKeyEntry("client", privateKey(key), transientPassword,
                        certificates(cert).toArray(new Certificate[0]));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(identity, transientPassword);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS setup from " + this + ": " + e.getMessage(), e);
        }
    }

    /** Every certificate in a PEM file, in file order; an error naming the file when there is none. */
    public static List<Certificate> certificates(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (all.isEmpty()) {
                throw new IOException(pem + ": no certificate (expected PEM \"BEGIN CERTIFICATE\" blocks)");
            }
            return new ArrayList<>(all);
        } catch (java.security.cert.CertificateException e) {
            throw new IOException(pem + ": not a PEM certificate file: " + e.getMessage(), e);
        }
    }

    /** The unencrypted PKCS#8 private key ("BEGIN PRIVATE KEY") in a PEM file, EC or RSA. */
    public static PrivateKey privateKey(Path pem) throws IOException {
        String text = Files.readString(pem, StandardCharsets.US_ASCII);
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (type.equals("PRIVATE KEY")) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
                    try {
                        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                    } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException wrongAlgorithm) {
                        // try the next algorithm
                    }
                }
                throw new IOException(pem + ": a PKCS#8 key of an algorithm other than EC, RSA or Ed25519");
            }
            if (type.equals("ENCRYPTED PRIVATE KEY")) {
                throw new IOException(pem + ": the key is encrypted; give an unencrypted key file readable by its "
                        + "owner only (openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8)");
            }
            if (type.endsWith(" PRIVATE KEY")) {
                throw new IOException(pem + ": a " + type + " key; convert it to PKCS#8 with "
                        + "openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
            }
        }
        throw new IOException(pem + ": no private key (expected a PEM \"BEGIN PRIVATE KEY\" block)");
    }
}
