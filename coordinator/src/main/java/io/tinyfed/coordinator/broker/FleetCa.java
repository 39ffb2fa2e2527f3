package io.tinyfed.coordinator.broker;

import io.tinyfed.coordinator.store.OwnerOnlyFiles;
import io.tinyfed.protocol.Limits;
import io.tinyfed.protocol.mqtt.TlsFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A fleet's own certificate authority, in a directory: {@code ca.crt} (the certificate every
 * client and the broker trust) and {@code ca.key} (owner-only). It issues broker certificates
 * (server authentication, with the host names and addresses clients dial as subject alternative
 * names) and device certificates (client authentication, the device id as common name, which the
 * embedded broker requires to equal the MQTT client id). Keys are ECDSA P-256, which Mosquitto,
 * mbedTLS and every JDK accept; files are PEM (certificates, PKCS#8 keys), and optionally PKCS#12.
 */
public final class FleetCa {
    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    private static final String SIGNATURE = "SHA256withECDSA";
    private final Path dir;
    private final X509Certificate certificate;
    private final PrivateKey key;

    /** What {@link #issue} wrote. */
    public record Issued(Path certificate, Path key, Path pkcs12) {
    }

    private FleetCa(Path dir, X509Certificate certificate, PrivateKey key) {
        this.dir = dir;
        this.certificate = certificate;
        this.key = key;
    }

    /**
     * Creates a new CA in {@code dir} (created if missing).
     *
     * @throws IOException when the directory already holds a CA: replacing it would lock every
     *                     device that trusts it out of the fleet
     */
    public static FleetCa init(Path dir, String name, Duration validity) throws IOException {
        Files.createDirectories(dir);
        if (Files.exists(dir.resolve(CA_CERT)) || Files.exists(dir.resolve(CA_KEY))) {
            throw new IOException(dir + " already holds a fleet CA (" + CA_CERT + "); issue certificates from it, or "
                    + "choose another directory");
        }
        try {
            KeyPair pair = newKeyPair();
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "TinyFed")
                    .addRDN(BCStyle.CN, name).build();
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = builder(subject, subject, pair, validity)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = sign(b, pair.getPrivate());
            OwnerOnlyFiles.write(dir.resolve(CA_KEY), pem(pair.getPrivate()));
            Files.write(dir.resolve(CA_CERT), pem(cert));
            return new FleetCa(dir, cert, pair.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("creating the fleet CA in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The CA in {@code dir}; an error that says how to make one when there is none. */
    public static FleetCa load(Path dir) throws IOException {
        Path certFile = dir.resolve(CA_CERT);
        if (!Files.exists(certFile)) {
            throw new IOException(dir + " holds no fleet CA: create one with tinyfed coordinator ca init --dir " + dir);
        }
        X509Certificate cert = (X509Certificate) TlsFiles.certificates(certFile).get(0);
        return new FleetCa(dir, cert, TlsFiles.privateKey(dir.resolve(CA_KEY)));
    }

    public Path certificateFile() {
        return dir.resolve(CA_CERT);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * Issues a certificate for {@code name} and writes {@code NAME.crt} (leaf then CA) and
     * {@code NAME.key} (owner-only) to {@code outDir}, plus {@code NAME.p12} when a PKCS#12
     * password is given.
     *
     * @param name   a device id (client certificates) or the broker's name (server certificates)
     * @param hosts  for a server: the DNS names and IP addresses clients connect to (at least one)
     * @param server true for a broker certificate, false for a device certificate
     */
    public Issued issue(String name, List<String> hosts, boolean server, Duration validity, Path outDir,
                        char[] pkcs12Password) throws IOException {
        if (!Limits.isValidId(name)) {
            throw new IllegalArgumentException("certificate name '" + name + "': use a device id (letters, digits, "
                    + "'.', '_', '-')");
        }
        if (server && hosts.isEmpty()) {
            throw new IllegalArgumentException("a broker certificate needs the host names or addresses clients dial "
                    + "(--host gateway.local,192.168.1.10)");
        }
        try {
            KeyPair pair = newKeyPair();
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "TinyFed")
                    .addRDN(BCStyle.CN, name).build();
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = builder(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                    subject, pair, validity)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            if (!hosts.isEmpty()) {
                List<GeneralName> names = new ArrayList<>();
                for (String h : hosts) {
                    names.add(isAddress(h) ? new GeneralName(GeneralName.iPAddress, h) : new GeneralName(GeneralName.dNSName, h));
                }
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])));
            }
            X509Certificate cert = sign(b, key);
            Files.createDirectories(outDir);
            Path certFile = outDir.resolve(name + ".crt");
            Path keyFile = outDir.resolve(name + ".key");
            OwnerOnlyFiles.write(keyFile, pem(pair.getPrivate()));
            byte[] chain = concat(pem(cert), pem(certificate));
            Files.write(certFile, chain);
            Path p12 = null;
            if (pkcs12Password != null) {
                java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry(name, pair.getPrivate(), pkcs12Password, new Certificate[] {cert, certificate});
                java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                ks.store(bytes, pkcs12Password);
                p12 = outDir.resolve(name + ".p12");
                OwnerOnlyFiles.write(p12, bytes.toByteArray());
            }
            return new Issued(certFile, keyFile, p12);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("issuing a certificate for " + name + ": " + e.getMessage(), e);
        }
    }

    private static boolean isAddress(String host) {
        // Literal IPv4 or IPv6 only; never resolves a name.
        if (host.matches("[0-9.]+") || host.contains(":")) {
            try {
                InetAddress.getByName(host);
                return true;
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException("'" + host + "' is neither a host name nor an IP address");
            }
        }
        return false;
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair pair, Duration validity) {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("certificate validity must be positive, e.g. --days 825");
        }
        Instant now = Instant.now();
        BigInteger serial = new BigInteger(127, new SecureRandom()).setBit(126);
        return new JcaX509v3CertificateBuilder(issuer, serial, Date.from(now.minus(Duration.ofMinutes(5))),
                Date.from(now.plus(validity)), subject, pair.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(SIGNATURE).build(signer)));
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return g.generateKeyPair();
    }

    private static byte[] pem(Object o) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            // JcaPEMWriter writes private keys as PKCS#8 only when given a PKCS#8 generator.
            w.writeObject(o instanceof PrivateKey k ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null) : o);
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
