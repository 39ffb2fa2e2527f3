package io.tinyfed.protocol.mqtt;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * {@link Transport} over Eclipse Paho's MQTT 5 client: QoS 1 everywhere, a persistent session
 * (clean start off, one hour expiry) so subscriptions and queued QoS 1 messages survive a
 * reconnect, automatic reconnection with back-off, and the retained last will. With {@link TlsFiles}
 * the connection is TLS ({@code ssl://host:port}): the broker's certificate must chain to the given CA
 * and name the host (hostname verification stays on), and the client presents its own certificate
 * when one is given (mutual TLS).
 */
public final class PahoTransport implements Transport {
    private static final System.Logger LOG = System.getLogger(PahoTransport.class.getName());
    private static final long SESSION_EXPIRY_SECONDS = 3600;
    private final String brokerUri;
    private final String clientId;
    private final String username;
    private final char[] password;
    private final TlsFiles tls;
    private volatile AcknowledgingClient client;

    /**
     * Paho's synchronous client, but a publish reports what the broker's acknowledgement says: a
     * PUBACK with an error reason (quota exceeded, not authorised, ...) fails the publish instead of
     * passing for a delivery.
     */
    private static final class AcknowledgingClient extends MqttClient {
        AcknowledgingClient(String uri, String clientId) throws MqttException {
            super(uri, clientId, new MemoryPersistence());
        }

        void publishAcknowledged(String topic, MqttMessage message) throws MqttException {
            IMqttToken token = aClient.publish(topic, message, null, null);
            token.waitForCompletion(getTimeToWait());
            int[] codes = token.getReasonCodes();
            if (codes != null) {
                for (int code : codes) {
                    if (code >= 0x80) {
                        throw new MqttException(code);
                    }
                }
            }
        }
    }

    /**
     * @param username null for anonymous access
     * @param password null for none (a user name alone)
     */
    public PahoTransport(String brokerUri, String clientId, String username, char[] password) {
        this(brokerUri, clientId, username, password, null);
    }

    /** Whether {@code brokerUri} is a TLS connection: {@code ssl://} or {@code wss://} (MQTT over secure WebSocket). */
    public static boolean isTls(String brokerUri) {
        return brokerUri.startsWith("ssl://") || brokerUri.startsWith("wss://");
    }

    /**
     * @param tls null for the scheme's default: plain TCP for {@code tcp://}, the JVM's trust store for
     *            {@code ssl://}
     * @throws IllegalArgumentException when TLS files are given for a {@code tcp://} URI
     */
    public PahoTransport(String brokerUri, String clientId, String username, char[] password, TlsFiles tls) {
        if (tls != null && !isTls(brokerUri)) {
            throw new IllegalArgumentException("TLS files given for " + brokerUri + ": a TLS broker URI starts with "
                    + "ssl:// (e.g. ssl://gateway.local:8883) or wss:// (MQTT over secure WebSocket)");
        }
        this.brokerUri = brokerUri;
        this.clientId = clientId;
        this.username = username;
        this.password = password == null ? null : password.clone();
        this.tls = tls;
    }

    @Override
    public void connect(Listener listener, String willTopic, byte[] willPayload) throws MqttException {
        javax.net.ssl.SSLSocketFactory sockets = null;
        if (tls != null) {
            try {
                sockets = tls.socketFactory();
            } catch (java.io.IOException e) {
                throw new MqttException(org.eclipse.paho.mqttv5.client.MqttClientException.REASON_CODE_SSL_CONFIG_ERROR, e);
            }
        }
        if (client != null) {
            try {
                client.close(true); // an earlier attempt that failed to connect
            } catch (MqttException e) {
                LOG.log(System.Logger.Level.DEBUG, "{0}: earlier client not closed: {1}", clientId, e.getMessage());
            }
        }
        client = new AcknowledgingClient(brokerUri, clientId);
        client.setCallback(new MqttCallback() {
            @Override
            public void disconnected(MqttDisconnectResponse response) {
                LOG.log(System.Logger.Level.WARNING, "{0}: disconnected: {1}", clientId, disconnectReason(
                        response.getReturnCode(), response.getReasonString(), response.getException()));
            }

            @Override
            public void mqttErrorOccurred(MqttException e) {
                LOG.log(System.Logger.Level.WARNING, "{0}: MQTT error: {1}", clientId, e.getMessage());
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                listener.message(topic, message.getPayload());
            }

            @Override
            public void deliveryComplete(IMqttToken token) {
                // QoS 1 acknowledgements need no action
            }

            @Override
            public void connectComplete(boolean reconnect, String serverUri) {
                listener.connected(reconnect);
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
                // no enhanced authentication
            }
        });
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(false);
        options.setSessionExpiryInterval(SESSION_EXPIRY_SECONDS);
        options.setAutomaticReconnect(true);
        options.setAutomaticReconnectDelay(1, 30);
        options.setKeepAliveInterval(30);
        options.setConnectionTimeout(10);
        if (sockets != null) {
            options.setSocketFactory(NoDelaySockets.tls(sockets));
            options.setHttpsHostnameVerificationEnabled(true);
        } else if (brokerUri.startsWith("tcp://")) {
            options.setSocketFactory(NoDelaySockets.tcp());
        } else if (brokerUri.startsWith("ssl://")) {
            options.setSocketFactory(NoDelaySockets.tls((javax.net.ssl.SSLSocketFactory) javax.net.ssl.SSLSocketFactory.getDefault()));
            options.setHttpsHostnameVerificationEnabled(true);
        }
        // The broker must not send this client anything larger than a TinyFed message can be.
        options.setMaximumPacketSize((long) io.tinyfed.protocol.Limits.MAX_PACKET_BYTES);
        if (username != null) {
            options.setUserName(username);
            if (password != null) {
                options.setPassword(new String(password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        if (willTopic != null) {
            MqttMessage will = new MqttMessage(willPayload);
            will.setQos(1);
            will.setRetained(true);
            options.setWill(willTopic, will);
        }
        client.connect(options);
    }

    /** Connection refused, timed out or lost, or the broker unavailable or busy; not a refusal or a TLS failure. */
    @Override
    public boolean unreachable(Exception failure) {
        if (!(failure instanceof MqttException m)) {
            return false;
        }
        for (Throwable c = failure.getCause(); c != null; c = c.getCause()) {
            if (c instanceof javax.net.ssl.SSLException) {
                return false;
            }
        }
        int code = m.getReasonCode();
        return code == org.eclipse.paho.mqttv5.client.MqttClientException.REASON_CODE_SERVER_CONNECT_ERROR
                || code == org.eclipse.paho.mqttv5.client.MqttClientException.REASON_CODE_CLIENT_TIMEOUT
                || code == org.eclipse.paho.mqttv5.client.MqttClientException.REASON_CODE_CONNECTION_LOST
                || code == 0x88 || code == 0x89; // server unavailable, server busy
    }

    /**
     * Publishes at QoS 1 and waits for the acknowledgement; an acknowledgement that refuses the
     * message (e.g. reason 0x97, the broker's publish quota exceeded) is an {@link MqttException}
     * with that reason code. When the broker's receive maximum (the in-flight window it grants this
     * client) is full, waits for it to drain and retries for up to 5 s instead of dropping the message.
     */
    @Override
    public void publish(String topic, byte[] payload, boolean retained) throws MqttException {
        MqttMessage m = new MqttMessage(payload);
        m.setQos(1);
        m.setRetained(retained);
        for (int attempt = 0; ; attempt++) {
            try {
                client.publishAcknowledged(topic, m);
                return;
            } catch (MqttException e) {
                if (e.getReasonCode() != org.eclipse.paho.mqttv5.client.MqttClientException.REASON_CODE_MAX_INFLIGHT
                        || attempt >= 250) {
                    throw e;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    @Override
    public void subscribe(String... filters) throws MqttException {
        int[] qos = new int[filters.length];
        java.util.Arrays.fill(qos, 1);
        client.subscribe(filters, qos);
    }

    @Override
    public void unsubscribe(String... filters) throws MqttException {
        client.unsubscribe(filters);
    }

    @Override
    public boolean isConnected() {
        MqttClient c = client;
        return c != null && c.isConnected();
    }

    @Override
    public void close() {
        if (client == null) {
            return;
        }
        try {
            if (client.isConnected()) {
                client.disconnect(5_000);
            }
            client.close();
        } catch (MqttException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: close: {1}", clientId, e.getMessage());
        }
    }

    /**
     * Why a connection ended, in words: the broker's reason string when it sent one, else the MQTT 5
     * reason code's name, else what broke the connection (the I/O error behind Paho's "connection lost").
     */
    static String disconnectReason(int reasonCode, String reasonString, Throwable exception) {
        if (reasonString != null && !reasonString.isBlank()) {
            return reasonString + " (reason code 0x" + Integer.toHexString(reasonCode) + ")";
        }
        if (exception != null) {
            String what = exception.getMessage() != null ? exception.getMessage() : exception.getClass().getSimpleName();
            Throwable cause = exception.getCause();
            if (cause != null && cause.getMessage() != null && !what.contains(cause.getMessage())) {
                what += ": " + cause.getMessage();
            }
            return what;
        }
        String name = switch (reasonCode) {
            case 0x00 -> "normal disconnection";
            case 0x04 -> "disconnected with will message";
            case 0x80 -> "unspecified error";
            case 0x81 -> "malformed packet";
            case 0x82 -> "protocol error";
            case 0x87 -> "not authorized";
            case 0x89 -> "server busy";
            case 0x8B -> "server shutting down";
            case 0x8D -> "keep alive timeout";
            case 0x8E -> "session taken over by another client with the same id";
            case 0x90 -> "topic name invalid";
            case 0x93 -> "receive maximum exceeded";
            case 0x95 -> "packet too large";
            case 0x96 -> "message rate too high";
            case 0x97 -> "quota exceeded";
            case 0x98 -> "administrative action";
            case 0x9C -> "use another server";
            case 0x9D -> "server moved";
            default -> "reason code 0x" + Integer.toHexString(reasonCode);
        };
        return reasonCode >= 0x80 && !name.startsWith("reason code") ? name + " (reason code 0x"
                + Integer.toHexString(reasonCode) + ")" : name;
    }
}
