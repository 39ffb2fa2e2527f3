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
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
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
 * <p>With {@code credentials == null} the broker runs open (any password accepted for a valid
 * device id; the per-device ACL still applies); use that only on a trusted machine.
 */
public final class EmbeddedBroker implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EmbeddedBroker.class.getName());
    public static final String COORDINATOR_USER = "tinyfed-coordinator";
    private final EmbeddedHiveMQ hivemq;
    private final int port;
    private final char[] coordinatorSecret;

    private EmbeddedBroker(EmbeddedHiveMQ hivemq, int port, char[] coordinatorSecret) {
        this.hivemq = hivemq;
        this.port = port;
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
        return start(port, workDir, fleet, credentials, false);
    }

    /** As {@link #start(int, Path, String, DeviceCredentials)}; {@code topicAliases} only for tests. */
    static EmbeddedBroker start(int port, Path workDir, String fleet, DeviceCredentials credentials,
                                boolean topicAliases) throws IOException {
        if (port != 0) {
            return startOn(port, workDir, fleet, credentials, topicAliases);
        }
        // HiveMQ binds the port it is configured with, so "a free port" is found first; another process can
        // take it before HiveMQ binds it (other brokers and tests on a busy machine): then try another one.
        IOException last = null;
        for (int attempt = 0; attempt < FREE_PORT_ATTEMPTS; attempt++) {
            try {
                return startOn(freePort(), workDir, fleet, credentials, topicAliases);
            } catch (IOException e) {
                last = e;
                LOG.log(System.Logger.Level.INFO, "embedded MQTT broker: {0}; trying another free port", e.getMessage());
            }
        }
        throw last;
    }

    private static final int FREE_PORT_ATTEMPTS = 5;

    private static EmbeddedBroker startOn(int bound, Path workDir, String fleet, DeviceCredentials credentials,
                                          boolean topicAliases) throws IOException {
        Path conf = Files.createDirectories(workDir.resolve("conf"));
        Path data = Files.createDirectories(workDir.resolve("data"));
        Path extensions = Files.createDirectories(workDir.resolve("extensions"));
        Files.writeString(conf.resolve("config.xml"), """
                <?xml version="1.0"?>
                <hivemq>
                  <listeners>
                    <tcp-listener>
                      <port>%d</port>
                      <bind-address>127.0.0.1</bind-address>
                    </tcp-listener>
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
                    <topic-alias>
                      <enabled>%b</enabled>
                    </topic-alias>
                  </mqtt>
                  <anonymous-usage-statistics>
                    <enabled>false</enabled>
                  </anonymous-usage-statistics>
                </hivemq>
                """.formatted(bound, Limits.MAX_PACKET_BYTES, topicAliases), StandardCharsets.UTF_8);
        byte[] secretBytes = new byte[24];
        new SecureRandom().nextBytes(secretBytes);
        char[] secret = Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes).toCharArray();
        Topics topics = Topics.of(fleet);
        EmbeddedExtension security = EmbeddedExtension.builder().withId("tinyfed-security").withName("TinyFed security")
                .withVersion("1").withPriority(1000).withStartPriority(1000)
                .withExtensionMain(new SecurityExtension(topics, credentials, secret)).build();
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
            throw new IOException("embedded MQTT broker did not start on 127.0.0.1:" + bound + ": " + e.getMessage(), e);
        }
        if (credentials == null) {
            LOG.log(System.Logger.Level.WARNING, "embedded MQTT 5 broker on tcp://127.0.0.1:{0} is OPEN: any client may "
                    + "connect as any device id (the per-device topic ACL still applies); give it device passwords with "
                    + "--credentials FILE (tinyfed coordinator credentials --file FILE --id DEVICE)", String.valueOf(bound));
        } else {
            LOG.log(System.Logger.Level.INFO, "embedded MQTT 5 broker on tcp://127.0.0.1:{0} ({1} device credentials)",
                    String.valueOf(bound), credentials.size());
        }
        return new EmbeddedBroker(hivemq, bound, secret);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "tcp://127.0.0.1:" + port;
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
        private final char[] coordinatorSecret;

        SecurityExtension(Topics topics, DeviceCredentials credentials, char[] coordinatorSecret) {
            this.topics = topics;
            this.credentials = credentials;
            this.coordinatorSecret = coordinatorSecret;
        }

        @Override
        public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
            SimpleAuthenticator authenticator = this::authenticate;
            Services.securityRegistry().setAuthenticatorProvider(providerInput -> authenticator);
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
            if (credentials != null && !credentials.verify(device, password)) {
                out.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, "unknown device or wrong password");
                return;
            }
            for (Topics.DeviceTopic own : new Topics.DeviceTopic[] {Topics.DeviceTopic.HELLO, Topics.DeviceTopic.STATE,
                    Topics.DeviceTopic.UPDATE, Topics.DeviceTopic.METRICS}) {
                permissions.add(allow(topics.device(device, own), TopicPermission.MqttActivity.PUBLISH));
            }
            permissions.add(allow(topics.device(device, Topics.DeviceTopic.TASK), TopicPermission.MqttActivity.SUBSCRIBE));
            permissions.add(allow(topics.device(device, Topics.DeviceTopic.REJECT), TopicPermission.MqttActivity.SUBSCRIBE));
            permissions.add(allow(topics.allModels(), TopicPermission.MqttActivity.SUBSCRIBE));
            permissions.setDefaultBehaviour(DefaultAuthorizationBehaviour.DENY);
            out.authenticateSuccessfully();
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
