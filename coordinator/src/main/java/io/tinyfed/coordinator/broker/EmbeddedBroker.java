package io.tinyfed.coordinator.broker;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthInput;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthOutput;
import com.hivemq.extension.sdk.api.auth.parameter.TopicPermission;
import com.hivemq.extension.sdk.api.packets.auth.DefaultAuthorizationBehaviour;
import com.hivemq.extension.sdk.api.packets.auth.ModifiableDefaultPermissions;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import io.tinyfed.protocol.Limits;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.mqtt.TlsFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * The zero-setup MQTT 5 broker: HiveMQ Community Edition embedded, listening on 127.0.0.1 only,
 * in-memory persistence, usage statistics off, a server receive maximum of 1,000 in-flight QoS 1
 * publishes per client (HiveMQ's default of 10 throttles a coordinator that tasks a large fleet),
 * and no topic aliases: Paho 1.2.5 keeps its outgoing alias map across an automatic reconnect, so
 * after a broker restart it publishes aliases the new broker never saw and is disconnected
 * (reason 148) on every attempt. An embedded extension authenticates every client
 * and confines each device to its own subtree: device {@code id} (the client id must equal the
 * user name) may publish only under {@code tinyfed/v1/{fleet}/device/{id}/} (hello, state, update,
 * metrics) and subscribe only to its own task and reject topics and the fleet's model topics. The
 * coordinator's own client uses a random secret generated at start.
 *
 * <p>The plain TCP listener is bound to 127.0.0.1 only. Devices on other hosts reach the broker
 * through its {@link TlsListener}: TLS on a chosen bind address with the broker's certificate, and,
 * when a client CA is given, mutual TLS: a device that presents a certificate issued by that CA is
 * authenticated by it (its common name must equal its client id), without a password.
 *
 * <p>A device authenticates with a verified client certificate or with its password from
 * {@code credentials}. With neither credentials nor a client CA the broker runs open (any password
 * accepted for a valid device id; the per-device ACL still applies); use that only on a trusted machine.
 */
public final class EmbeddedBroker implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EmbeddedBroker.class.getName());
    public static final String COORDINATOR_USER = "tinyfed-coordinator";
    private final EmbeddedHiveMQ hivemq;
    private final int port;
    private final int tlsPort;
    private final int webSocketPort;
    private final String tlsHost;
    private final char[] coordinatorSecret;
    private final SecurityExtension security;

    /** Who must present a client certificate on the TLS listener. */
    public enum ClientAuth { NONE, OPTIONAL, REQUIRED }

    /**
     * The broker's TLS listener.
     *
     * @param bind       address to listen on, e.g. 0.0.0.0 for every interface or one interface's address
     * @param port       TCP port, or 0 for a free one
     * @param cert       the broker's certificate chain (PEM, leaf first), naming the hosts clients dial
     * @param key        its unencrypted PKCS#8 private key (PEM)
     * @param clientCa   CA that issues device certificates, or null for no client certificates
     * @param clientAuth whether devices must present one (ignored without {@code clientCa})
     * @param webSocketPort also MQTT over secure WebSocket ({@code wss://ADDRESS:PORT/mqtt}) on this port of the
     *                      same address, with the same certificates: 0 for a free port, -1 for none
     */
    public record TlsListener(String bind, int port, Path cert, Path key, Path clientCa, ClientAuth clientAuth,
                              int webSocketPort) {
        /** A TLS listener without a WebSocket listener. */
        public TlsListener(String bind, int port, Path cert, Path key, Path clientCa, ClientAuth clientAuth) {
            this(bind, port, cert, key, clientCa, clientAuth, -1);
        }

        public TlsListener {
            java.util.Objects.requireNonNull(bind, "bind");
            java.util.Objects.requireNonNull(cert, "the broker's TLS certificate (--tls-cert)");
            java.util.Objects.requireNonNull(key, "the broker's TLS key (--tls-key)");
            if (clientCa == null) {
                clientAuth = ClientAuth.NONE;
            }
        }

        boolean verifiesClients() {
            return clientAuth != ClientAuth.NONE;
        }
    }

    private EmbeddedBroker(EmbeddedHiveMQ hivemq, int port, int tlsPort, int webSocketPort, String tlsHost,
                           char[] coordinatorSecret, SecurityExtension security) {
        this.webSocketPort = webSocketPort;
        this.security = security;
        this.hivemq = hivemq;
        this.port = port;
        this.tlsPort = tlsPort;
        this.tlsHost = tlsHost;
        this.coordinatorSecret = coordinatorSecret;
    }

    /**
     * Starts the broker.
     *
     * @param port        TCP port on 127.0.0.1, or 0 for a free one
     * @param workDir     where the broker's configuration and data folders go
     * @param credentials device passwords, or null for open mode
     */
    public static EmbeddedBroker start(int port, Path workDir, String fleet, DeviceCredentials credentials)
            throws IOException {
        return start(port, workDir, fleet, credentials, null, false);
    }

    /** As {@link #start(int, Path, String, DeviceCredentials)}, plus a TLS listener when {@code tls} is not null. */
    public static EmbeddedBroker start(int port, Path workDir, String fleet, DeviceCredentials credentials,
                                       TlsListener tls) throws IOException {
        return start(port, workDir, fleet, credentials, tls, false);
    }

    /** As {@link #start(int, Path, String, DeviceCredentials, TlsListener)}; {@code topicAliases} only for tests. */
    static EmbeddedBroker start(int port, Path workDir, String fleet, DeviceCredentials credentials, TlsListener tls,
                                boolean topicAliases) throws IOException {
        if (port != 0 && (tls == null || (tls.port() != 0 && tls.webSocketPort() != 0))) {
            return startOn(port, tls == null ? -1 : tls.port(), tls == null ? -1 : tls.webSocketPort(), workDir, fleet,
                    credentials, tls, topicAliases);
        }
        // HiveMQ binds the port it is configured with, so "a free port" is found first; another process can
        // take it before HiveMQ binds it (other brokers and tests on a busy machine): then try another one.
        IOException last = null;
        for (int attempt = 0; attempt < FREE_PORT_ATTEMPTS; attempt++) {
            try {
                return startOn(port != 0 ? port : freePort("127.0.0.1"),
                        tls == null ? -1 : tls.port() != 0 ? tls.port() : freePort(tls.bind()),
                        tls == null ? -1 : tls.webSocketPort() != 0 ? tls.webSocketPort() : freePort(tls.bind()),
                        workDir, fleet, credentials, tls, topicAliases);
            } catch (IOException e) {
                last = e;
                LOG.log(System.Logger.Level.INFO, "embedded MQTT broker: {0}; trying another free port", e.getMessage());
            }
        }
        throw last;
    }

    private static final int FREE_PORT_ATTEMPTS = 5;

    /** Whether {@code address:port} can be bound now (after a failed start: which listener's port is taken). */
    private static boolean canBind(String address, int port) {
        if (port <= 0) {
            return true;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.bind(new java.net.InetSocketAddress(address, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * QoS 1 messages the broker holds for one client (or one shared subscription) that has not taken them yet: a round
     * of a large fleet answers at once into the coordinator's queue, and HiveMQ's default of 1,000 dropped updates of
     * fleets past 1,000 devices. At most 100,000 updates of up to the packet limit are held.
     */
    static final int MAX_QUEUED_MESSAGES = 100_000;

    private static EmbeddedBroker startOn(int bound, int tlsBound, int wssBound, Path workDir, String fleet,
                                          DeviceCredentials credentials, TlsListener tls, boolean topicAliases)
            throws IOException {
        Path conf = Files.createDirectories(workDir.resolve("conf"));
        Path data = Files.createDirectories(workDir.resolve("data"));
        Path extensions = Files.createDirectories(workDir.resolve("extensions"));
        String tlsListener = tls == null ? "" : tlsListenerXml(conf, tls, tlsBound, wssBound);
        Files.writeString(conf.resolve("config.xml"), """
                <?xml version="1.0"?>
                <hivemq>
                  <listeners>
                    <tcp-listener>
                      <port>%d</port>
                      <bind-address>127.0.0.1</bind-address>
                    </tcp-listener>%s
                  </listeners>
                  <persistence>
                    <mode>in-memory</mode>
                  </persistence>
                  <mqtt>
                    <packets>
                      <max-packet-size>%d</max-packet-size>
                    </packets>
                    <receive-maximum>
                      <server-receive-maximum>1000</server-receive-maximum>
                    </receive-maximum>
                    <queued-messages>
                      <max-queue-size>%d</max-queue-size>
                      <strategy>discard</strategy>
                    </queued-messages>
                    <topic-alias>
                      <enabled>%b</enabled>
                    </topic-alias>
                  </mqtt>
                  <anonymous-usage-statistics>
                    <enabled>false</enabled>
                  </anonymous-usage-statistics>
                </hivemq>
                """.formatted(bound, tlsListener, Limits.MAX_PACKET_BYTES, MAX_QUEUED_MESSAGES, topicAliases), StandardCharsets.UTF_8);
        char[] secret = randomSecret();
        Topics topics = Topics.of(fleet);
        SecurityExtension securityMain = new SecurityExtension(topics, credentials, tls != null && tls.verifiesClients(),
                secret);
        EmbeddedExtension security = EmbeddedExtension.builder().withId("tinyfed-security").withName("TinyFed security")
                .withVersion("1").withPriority(1000).withStartPriority(1000)
                .withExtensionMain(securityMain).build();
        EmbeddedHiveMQ hivemq = EmbeddedHiveMQ.builder().withConfigurationFolder(conf).withDataFolder(data)
                .withExtensionsFolder(extensions).withEmbeddedExtension(security).withoutLoggingBootstrap().build();
        try {
            hivemq.start().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            try {
                hivemq.close();
            } catch (Exception ignored) {
                // the start already failed; that failure is the one to report
            }
            String taken = !canBind("127.0.0.1", bound) ? "127.0.0.1:" + bound
                    : tls != null && !canBind(tls.bind(), tlsBound) ? tls.bind() + ":" + tlsBound
                    : wssBound > 0 && !canBind(tls.bind(), wssBound) ? tls.bind() + ":" + wssBound : null;
            if (taken != null) {
                // HiveMQ only logs which listener failed; say it in the exception, as a bind failure.
                throw (java.net.BindException) new java.net.BindException("embedded MQTT broker: " + taken
                        + " is in use").initCause(e);
            }
            throw new IOException("embedded MQTT broker did not start on 127.0.0.1:" + bound
                    + (tls == null ? "" : " and " + tls.bind() + ":" + tlsBound) + (wssBound < 0 ? "" : " and "
                    + tls.bind() + ":" + wssBound + " (WebSocket)") + ": " + e.getMessage(), e);
        }
        String tlsHost = tls == null ? null : tls.bind().equals("0.0.0.0") || tls.bind().equals("::") ? "127.0.0.1" : tls.bind();
        if (tls != null) {
            LOG.log(System.Logger.Level.INFO, "embedded MQTT 5 broker: TLS on {0}:{1}{2}", tls.bind(), String.valueOf(tlsBound)
                            + (wssBound < 0 ? "" : " and secure WebSocket on " + tls.bind() + ":" + wssBound + "/mqtt"),
                    tls.verifiesClients() ? " (device certificates " + tls.clientAuth().name().toLowerCase(java.util.Locale.ROOT)
                            + ", issued by " + tls.clientCa() + ")" : "");
        }
        if (credentials == null && (tls == null || !tls.verifiesClients())) {
            LOG.log(System.Logger.Level.WARNING, "embedded MQTT 5 broker on tcp://127.0.0.1:{0} is OPEN: any client may "
                    + "connect as any device id (the per-device topic ACL still applies); give it device passwords with "
                    + "--credentials FILE (tinyfed coordinator credentials --file FILE --id DEVICE)", String.valueOf(bound));
        } else {
            LOG.log(System.Logger.Level.INFO, "embedded MQTT 5 broker on tcp://127.0.0.1:{0} ({1} device passwords)",
                    String.valueOf(bound), credentials == null ? 0 : credentials.size());
        }
        return new EmbeddedBroker(hivemq, bound, tls == null ? -1 : tlsBound, tls == null ? -1 : wssBound, tlsHost, secret,
                securityMain);
    }

    /**
     * The TLS listener's configuration; its key store and trust store are PKCS#12 files made from the
     * PEM files in the broker's configuration folder, owner-only, under a random password that lives
     * only in this configuration (rewritten at every start).
     */
    private static String tlsListenerXml(Path conf, TlsListener tls, int tlsBound, int wssBound) throws IOException {
        Path truststore = conf.resolve("tls-truststore.p12");
        try {
            io.tinyfed.coordinator.store.PemKeyStore keys = io.tinyfed.coordinator.store.PemKeyStore.write(tls.cert(),
                    tls.key(), conf.resolve("tls-keystore.p12"));
            Path keystore = keys.file();
            char[] password = keys.password().toCharArray();
            String trust = "";
            if (tls.verifiesClients()) {
                java.security.KeyStore ts = java.security.KeyStore.getInstance("PKCS12");
                ts.load(null, null);
                int i = 0;
                for (java.security.cert.Certificate c : TlsFiles.certificates(tls.clientCa())) {
                    ts.setCertificateEntry("device-ca-" + i++, c);
                }
                io.tinyfed.coordinator.store.OwnerOnlyFiles.write(truststore, store(ts, password));
                trust = """
                                <truststore>
                                  <path>%s</path>
                                  <password>%s</password>
                                </truststore>""".formatted(truststore.toAbsolutePath(), new String(password));
            }
            String tlsXml = """
                      <tls>
                        <keystore>
                          <path>%s</path>
                          <password>%s</password>
                          <private-key-password>%s</private-key-password>
                        </keystore>%s
                        <client-authentication-mode>%s</client-authentication-mode>
                        <protocols>
                          <protocol>TLSv1.3</protocol>
                          <protocol>TLSv1.2</protocol>
                        </protocols>
                      </tls>""".formatted(keystore.toAbsolutePath(), new String(password), new String(password), trust,
                    tls.clientAuth().name());
            String webSocket = wssBound < 0 ? "" : """

                    <tls-websocket-listener>
                      <port>%d</port>
                      <bind-address>%s</bind-address>
                      <path>/mqtt</path>
                      <subprotocols>
                        <subprotocol>mqtt</subprotocol>
                      </subprotocols>
                      <allow-extensions>true</allow-extensions>
                %s
                    </tls-websocket-listener>""".formatted(wssBound, tls.bind(), tlsXml);
            return """

                    <tls-tcp-listener>
                      <port>%d</port>
                      <bind-address>%s</bind-address>
                %s
                    </tls-tcp-listener>%s""".formatted(tlsBound, tls.bind(), tlsXml, webSocket);
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("TLS listener from " + tls.cert() + " and " + tls.key() + ": " + e.getMessage(), e);
        }
    }

    private static byte[] store(java.security.KeyStore ks, char[] password)
            throws IOException, java.security.GeneralSecurityException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ks.store(out, password);
        return out.toByteArray();
    }

    private static char[] randomSecret() {
        byte[] secretBytes = new byte[24];
        new SecureRandom().nextBytes(secretBytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes).toCharArray();
    }

    private static int freePort(String bind) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(bind, 0));
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    /** The plain TCP listener on the loopback interface. */
    public String uri() {
        return "tcp://127.0.0.1:" + port;
    }

    /** The TLS listener's port, or -1 without one. */
    public int tlsPort() {
        return tlsPort;
    }

    /**
     * The TLS listener as a client on this host dials it ({@code ssl://ADDRESS:PORT}, 127.0.0.1 when
     * it listens on every interface), or empty without one.
     */
    public java.util.Optional<String> tlsUri() {
        return tlsPort < 0 ? java.util.Optional.empty() : java.util.Optional.of("ssl://" + tlsHost + ":" + tlsPort);
    }

    /**
     * The secure WebSocket listener as a client on this host dials it ({@code wss://ADDRESS:PORT/mqtt}), or empty
     * without one.
     */
    public java.util.Optional<String> webSocketUri() {
        return webSocketPort < 0 ? java.util.Optional.empty()
                : java.util.Optional.of("wss://" + tlsHost + ":" + webSocketPort + "/mqtt");
    }

    /** Device publishes refused because their sender exceeded its quota ({@link PublishQuota}). */
    public long quotaRefusals() {
        return security.quotaRefusals.get();
    }

    /** Logins refused without a password check because their device id or address failed too often. */
    public long loginsThrottled() {
        return security.loginsRefused.get();
    }

    /** Devices disconnected for publishing beyond their quota again and again. */
    public long quotaDisconnects() {
        return security.quotaDisconnects.get();
    }

    /** The secret of the {@link #COORDINATOR_USER} account (valid until the broker stops). */
    public char[] coordinatorSecret() {
        return coordinatorSecret.clone();
    }

    @Override
    public void close() {
        try {
            hivemq.stop().get(30, TimeUnit.SECONDS);
            hivemq.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "broker stop: {0}", e.getMessage());
        }
    }

    /** Authentication plus default permissions per client; everything not permitted is denied. */
    static final class SecurityExtension implements ExtensionMain {
        private final Topics topics;
        private final DeviceCredentials credentials;
        private final boolean clientCertificates;
        private final char[] coordinatorSecret;
        private final PublishQuota.Limits quotaLimits = PublishQuota.DEFAULT;
        private final PublishQuota quota = new PublishQuota(quotaLimits, System::nanoTime);
        private final LoginThrottle deviceLogins = LoginThrottle.perDevice(System::nanoTime);
        private final LoginThrottle addressLogins = LoginThrottle.perAddress(System::nanoTime);
        final java.util.concurrent.atomic.AtomicLong loginsRefused = new java.util.concurrent.atomic.AtomicLong();
        /** Connection attribute that marks the coordinator's own connections (set at authentication). */
        private static final String ROLE = "tinyfed.role";
        final java.util.concurrent.atomic.AtomicLong quotaRefusals = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong quotaDisconnects = new java.util.concurrent.atomic.AtomicLong();

        SecurityExtension(Topics topics, DeviceCredentials credentials, boolean clientCertificates, char[] coordinatorSecret) {
            this.topics = topics;
            this.credentials = credentials;
            this.clientCertificates = clientCertificates;
            this.coordinatorSecret = coordinatorSecret;
        }

        @Override
        public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
            SimpleAuthenticator authenticator = this::authenticate;
            Services.securityRegistry().setAuthenticatorProvider(providerInput -> authenticator);
            com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor quotaCheck = this::checkQuota;
            Services.initializerRegistry().setClientInitializer((init, client) -> client.addPublishInboundInterceptor(quotaCheck));
            Services.eventRegistry().setClientLifecycleEventListener(in -> new com.hivemq.extension.sdk.api.events.client
                    .ClientLifecycleEventListener() {
                @Override
                public void onMqttConnectionStart(com.hivemq.extension.sdk.api.events.client.parameters.ConnectionStartInput i) {
                }

                @Override
                public void onAuthenticationSuccessful(
                        com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput i) {
                }

                @Override
                public void onDisconnect(com.hivemq.extension.sdk.api.events.client.parameters.DisconnectEventInput i) {
                    String id = i.getClientInformation().getClientId();
                    quota.forget(id);
                }
            });
        }

        /** Devices publish within their quota; the coordinator's own clients are not limited. */
        private void checkQuota(com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput in,
                                com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput out) {
            String clientId = in.getClientInformation().getClientId();
            if (in.getConnectionInformation().getConnectionAttributeStore().getAsString(ROLE).isPresent()) {
                return;
            }
            switch (quota.take(clientId)) {
                case ALLOW -> {
                }
                case REFUSE -> {
                    if (quotaRefusals.getAndIncrement() % 1000 == 0) {
                        LOG.log(System.Logger.Level.WARNING, "device {0} publishes faster than its quota ({1} messages, "
                                + "{2}/s); its messages are refused ({3} refusals in all, logged every 1000th)", clientId,
                                quotaLimits.burst(), quotaLimits.perSecond(), quotaRefusals.get());
                    }
                    out.preventPublishDelivery(com.hivemq.extension.sdk.api.packets.publish.AckReasonCode.QUOTA_EXCEEDED,
                            "publish quota exceeded");
                }
                case DISCONNECT -> {
                    quotaRefusals.incrementAndGet();
                    quotaDisconnects.incrementAndGet();
                    out.preventPublishDelivery(com.hivemq.extension.sdk.api.packets.publish.AckReasonCode.QUOTA_EXCEEDED,
                            "publish quota exceeded");
                    LOG.log(System.Logger.Level.WARNING, "device {0} kept publishing beyond its quota: disconnected", clientId);
                    Services.clientService().disconnectClient(clientId, false,
                            com.hivemq.extension.sdk.api.packets.disconnect.DisconnectReasonCode.QUOTA_EXCEEDED,
                            "publish quota exceeded repeatedly");
                }
            }
        }

        @Override
        public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
        }

        private void authenticate(SimpleAuthInput in, SimpleAuthOutput out) {
            String clientId = in.getConnectPacket().getClientId();
            String user = in.getConnectPacket().getUserName().orElse(null);
            char[] password = in.getConnectPacket().getPassword().map(EmbeddedBroker::chars).orElse(new char[0]);
            ModifiableDefaultPermissions permissions = out.getDefaultPermissions();
            if (COORDINATOR_USER.equals(user)) {
                if (java.security.MessageDigest.isEqual(new String(password).getBytes(StandardCharsets.UTF_8),
                        new String(coordinatorSecret).getBytes(StandardCharsets.UTF_8))) {
                    permissions.add(allow("#", TopicPermission.MqttActivity.ALL));
                    in.getConnectionInformation().getConnectionAttributeStore().putAsString(ROLE, COORDINATOR_USER);
                    out.authenticateSuccessfully();
                } else {
                    out.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, "bad coordinator secret");
                }
                return;
            }
            String device = user != null ? user : clientId;
            if (!Limits.isValidId(device) || !device.equals(clientId)) {
                out.failAuthentication(ConnackReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
                        "client id must be the device id and a valid identifier");
                return;
            }
            // The TLS layer has verified the chain against the device CA; what is left is whose certificate it is.
            java.util.Optional<X509Certificate> certificate = in.getConnectionInformation().getClientTlsInformation()
                    .flatMap(t -> t.getClientCertificate());
            if (certificate.isPresent()) {
                String subject = commonName(certificate.get());
                if (!device.equals(subject)) {
                    out.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "the client certificate is issued to '"
                            + subject + "', not to device '" + device + "'");
                    return;
                }
            } else if (credentials != null) {
                String address = in.getConnectionInformation().getInetAddress().map(a -> a.getHostAddress()).orElse("?");
                long wait = Math.max(deviceLogins.lockedForSeconds(device), addressLogins.lockedForSeconds(address));
                if (wait > 0) {
                    loginsRefused.incrementAndGet();
                    out.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "too many failed logins; retry in " + wait + " s");
                    return;
                }
                if (!credentials.verify(device, password)) {
                    deviceLogins.failed(device);
                    addressLogins.failed(address);
                    out.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, "unknown device or wrong password");
                    return;
                }
                deviceLogins.succeeded(device);
            } else if (clientCertificates) {
                out.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED,
                        "this broker authenticates devices by their certificates; connect over TLS with one");
                return;
            }
            for (Topics.DeviceTopic own : Topics.DeviceTopic.values()) {
                permissions.add(allow(topics.device(device, own), own.publishedByDevice()
                        ? TopicPermission.MqttActivity.PUBLISH : TopicPermission.MqttActivity.SUBSCRIBE));
            }
            permissions.add(allow(topics.allModels(), TopicPermission.MqttActivity.SUBSCRIBE));
            permissions.add(allow(topics.allModelDeltas(), TopicPermission.MqttActivity.SUBSCRIBE));
            permissions.setDefaultBehaviour(DefaultAuthorizationBehaviour.DENY);
            out.authenticateSuccessfully();
        }

        private static String commonName(X509Certificate c) {
            try {
                for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(c.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        return String.valueOf(rdn.getValue());
                    }
                }
            } catch (javax.naming.InvalidNameException e) {
                return "";
            }
            return "";
        }

        private static TopicPermission allow(String filter, TopicPermission.MqttActivity activity) {
            return Builders.topicPermission().topicFilter(filter).type(TopicPermission.PermissionType.ALLOW)
                    .activity(activity).build();
        }
    }

    private static char[] chars(ByteBuffer b) {
        java.nio.CharBuffer decoded = StandardCharsets.UTF_8.decode(b.asReadOnlyBuffer());
        char[] out = new char[decoded.remaining()];
        decoded.get(out);
        return out;
    }
}
