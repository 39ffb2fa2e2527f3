package io.tinyfed.protocol.mqtt;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --tls-ca}, {@code --tls-cert} and {@code --tls-key} flags of every command that
 * connects to an MQTT broker (agent, serial bridge, coordinator on an external broker), as a picocli
 * mixin so they read and behave the same everywhere.
 */
public final class TlsOptions {
    @Option(names = "--tls-ca", paramLabel = "PEM", description = "CA certificate(s) the broker's certificate must "
            + "chain to; use with an ssl:// broker URI (tinyfed coordinator ca init makes a fleet CA).")
    Path ca;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "This client's certificate chain, for brokers that "
            + "require client certificates (tinyfed coordinator ca issue --name ID).")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "The unencrypted PKCS#8 private key of --tls-cert "
            + "(keep it readable by its owner only).")
    Path key;

    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec mixee;

    /**
     * The files given for a connection to {@code brokerUri}, or null when no TLS flag was given;
     * a usage error when TLS files are given for a URI that is not {@code ssl://} or {@code wss://}.
     */
    public TlsFiles filesFor(String brokerUri) {
        TlsFiles files = files();
        if (files != null && !PahoTransport.isTls(brokerUri)) {
            throw new picocli.CommandLine.ParameterException(mixee.commandLine(), "--tls-ca/--tls-cert/--tls-key need a "
                    + "TLS broker URI: ssl://HOST:PORT (a coordinator's --tls-listen) or wss://HOST:PORT/mqtt (its --wss-listen)");
        }
        return files;
    }

    /** The files given, or null when no TLS flag was given (the URI's scheme decides). */
    public TlsFiles files() {
        if (ca == null && cert == null && key == null) {
            return null;
        }
        return new TlsFiles(ca, cert, key);
    }
}
