package io.tinyfed.protocol.mqtt;

/**
 * The view of MQTT that agents and the coordinator share: publish, subscribe, callbacks. The Paho MQTT 5 adapter
 * ({@link PahoTransport}) is the real one; tests may use an in-memory fake. Listener methods run on the
 * client's thread: they must not block (hand work to an executor).
 */
public interface Transport extends AutoCloseable {

    /** Receives every message of every subscription, and connection events. */
    interface Listener {
        void message(String topic, byte[] payload);

        /** Called after every successful (re)connection, before queued traffic resumes. */
        void connected(boolean reconnect);
    }

    /**
     * Connects and keeps reconnecting. {@code willTopic}/{@code willPayload} are published
     * retained by the broker if this client disappears without disconnecting ({@code willTopic}
     * null: no will).
     */
    void connect(Listener listener, String willTopic, byte[] willPayload) throws Exception;

    void publish(String topic, byte[] payload, boolean retained) throws Exception;

    /** Subscribes at QoS 1; the broker sends what it retains on them at once. */
    void subscribe(String... filters) throws Exception;

    /** Ends subscriptions made with {@link #subscribe}. */
    void unsubscribe(String... filters) throws Exception;

    /** True while the transport holds a connection to its broker (in-process fakes are always connected). */
    default boolean isConnected() {
        return true;
    }

    @Override
    void close();

    /**
     * Whether {@code failure} (of {@link #connect}) means the broker could not be reached at all, which
     * may pass, rather than a refusal or a TLS failure, which waiting does not fix. Default: never.
     */
    default boolean unreachable(Exception failure) {
        return false;
    }
}
