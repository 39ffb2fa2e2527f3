package io.tinyfed.coordinator.api;

import io.tinyfed.protocol.mqtt.TlsFiles;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;

/** HTTP clients of the tests that trust exactly one CA (a fleet CA the test made). */
final class TlsClients {
    private TlsClients() {
    }

    static HttpClient trusting(Path caCertificate) throws Exception {
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", TlsFiles.certificates(caCertificate).get(0));
        tmf.init(trust);
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
    }
}
