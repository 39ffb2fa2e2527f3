package io.tinyfed.coordinator.mqtt;

import io.tinyfed.coordinator.round.FleetGateway;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.DeviceMetrics;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.Reject;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.protocol.mqtt.Transport;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The coordinator's MQTT edge: decodes what devices publish (hello, state, update, metrics) and
 * feeds the {@link RoundEngine}; publishes snapshots (retained), tasks and rejects for it. Updates
 * arrive through the shared subscription {@code $share/coordinators-{modelId}/...}: each model's
 * coordinator sees every update and keeps those of its model (one coordinator per model: two of the
 * same model would split its updates, and nothing combines them). Message handling runs on
 * {@code executor} (updates on a pool of decoders), never on the client's thread.
 */
public final class FleetLink implements FleetGateway {
    private static final System.Logger LOG = System.getLogger(FleetLink.class.getName());
    /** Each model's coordinator has its own group (a second coordinator of the same model would take half its updates). */
    public static final String SHARE_GROUP_PREFIX = "coordinators-";
    private final Topics topics;
    private final SnapshotSigner signer;
    private final io.tinyfed.coordinator.round.LogThrottle refusalLog = new io.tinyfed.coordinator.round.LogThrottle();
    private final Transport transport;
    private final ExecutorService executor;
    /**
     * Tasks and rejects go out from a small pool: each publish waits for its QoS 1 acknowledgement,
     * and the round engine must not wait for a thousand of them one after another.
     */
    private final ExecutorService publishers = java.util.concurrent.Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "tinyfed-coordinator-publish");
        t.setDaemon(true);
        return t;
    });
    /**
     * Updates are decoded and validated here, several at once (a 1,761-parameter S16 update costs tens of microseconds
     * to decode); everything else keeps the one message thread, which keeps each device's hello before its state.
     */
    private final ExecutorService decoders = java.util.concurrent.Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
                Thread t = new Thread(r, "tinyfed-coordinator-decode");
                t.setDaemon(true);
                return t;
            });
    private volatile RoundEngine engine;
    private volatile DeploymentListener deployments;
    private final Map<String, DeviceMetrics> metrics = new ConcurrentHashMap<>();
    private final MetricsHistory history = new MetricsHistory();
    /** The sum of the samples every device's latest report counts: moves with every report. */
    private final AtomicLong samplesReported = new AtomicLong();
    private final Map<RejectReason, AtomicLong> refusedMessages = new ConcurrentHashMap<>();
    /** What the links carried: update payloads received; full snapshots and version deltas published. */
    private final AtomicLong updatesReceived = new AtomicLong();
    private final AtomicLong updateBytesReceived = new AtomicLong();
    private final AtomicLong snapshotBytesPublished = new AtomicLong();
    private final AtomicLong deltaBytesPublished = new AtomicLong();

    /** @param signer signs every task and reject, so devices act only on what the coordinator sent */
    public FleetLink(Topics topics, Transport transport, ExecutorService executor, SnapshotSigner signer) {
        this.topics = topics;
        this.transport = transport;
        this.executor = executor;
        this.signer = signer;
    }

    /** Receives what devices report about deployments (on the message thread). */
    public interface DeploymentListener {
        void status(io.tinyfed.protocol.DeploymentStatus status);

        /** A device announced itself online (again). */
        void online(String deviceId);
    }

    /** Where deployment reports go from now on (null: nowhere). */
    public void setDeploymentListener(DeploymentListener listener) {
        this.deployments = listener;
    }

    /** True while the coordinator's MQTT client holds a connection to the broker. */
    public boolean connected() {
        return transport.isConnected();
    }

    /** Connects and subscribes; messages go to {@code roundEngine} from now on. */
    public void connect(RoundEngine roundEngine) throws Exception {
        this.engine = roundEngine;
        transport.connect(new Transport.Listener() {
            @Override
            public void message(String topic, byte[] payload) {
                Optional<Topics.Address> address = topics.parse(topic);
                if (address.isEmpty() || address.get().isModel() || payload.length == 0) {
                    return; // not ours, or a cleared retained message
                }
                boolean update = address.get().kind() == Topics.DeviceTopic.UPDATE;
                onExecutor(update ? decoders : executor, topic, () -> handle(topic, address.get(), payload));
            }

            @Override
            public void connected(boolean reconnect) {
                onExecutor(executor, "subscriptions", () -> subscribe(reconnect));
            }
        }, null, null);
    }

    private static void onExecutor(ExecutorService on, String what, Runnable task) {
        try {
            on.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.log(System.Logger.Level.DEBUG, "shutting down: {0} not handled", what);
        }
    }

    private void subscribe(boolean reconnect) {
        try {
            transport.subscribe(topics.allDevices(Topics.DeviceTopic.HELLO), topics.allDevices(Topics.DeviceTopic.STATE),
                    topics.allDevices(Topics.DeviceTopic.METRICS), topics.allDevices(Topics.DeviceTopic.DEPLOYMENT),
                    topics.sharedUpdates(SHARE_GROUP_PREFIX + engine.modelId()));
            engine.publishCurrent();
            LOG.log(System.Logger.Level.INFO, "coordinator {0} to the fleet {1}", reconnect ? "reconnected" : "connected",
                    topics.fleet());
        } catch (Exception e) {
            LOG.log(System.Logger.Level.ERROR, "subscribing failed: " + e.getMessage(), e);
        }
    }

    /** One device message, its topic parsed once by the listener. */
    private void handle(String topic, Topics.Address address, byte[] payload) {
        String id = address.deviceId();
        try {
            switch (address.kind()) {
                case HELLO -> {
                    DeviceHello h = WireCodec.decodeHello(payload);
                    if (!h.deviceId().equals(id) || !h.fleet().equals(topics.fleet())) {
                        throw new ProtocolException(RejectReason.IDENTITY_MISMATCH, "hello of " + h.fleet() + "/"
                                + h.deviceId() + " on " + id + "'s topic");
                    }
                    engine.deviceHello(h);
                }
                case STATE -> {
                    var s = WireCodec.decodeState(payload);
                    if (!s.deviceId().equals(id)) {
                        throw new ProtocolException(RejectReason.IDENTITY_MISMATCH, "state of " + s.deviceId());
                    }
                    engine.deviceState(id, s.online());
                    DeploymentListener l = deployments;
                    if (s.online() && l != null) {
                        l.online(id);
                    }
                }
                case DEPLOYMENT -> {
                    io.tinyfed.protocol.DeploymentStatus d = WireCodec.decodeDeploymentStatus(payload);
                    if (!d.deviceId().equals(id)) {
                        throw new ProtocolException(RejectReason.IDENTITY_MISMATCH, "deployment status of " + d.deviceId());
                    }
                    DeploymentListener l = deployments;
                    if (l != null) {
                        l.status(d);
                    }
                }
                case UPDATE -> {
                    updatesReceived.incrementAndGet();
                    updateBytesReceived.addAndGet(payload.length);
                    io.tinyfed.protocol.ModelUpdate u;
                    try {
                        u = WireCodec.decodeUpdate(payload);
                    } catch (ProtocolException e) {
                        engine.onUndecodable(id, e.reason(), e.getMessage());
                        return;
                    }
                    if (u.modelId().equals(engine.modelId())) {
                        engine.onUpdate(id, u);
                    }
                    // else: another model's coordinator (its own share group) handles it
                }
                case METRICS -> {
                    DeviceMetrics m = WireCodec.decodeMetrics(payload);
                    if (m.deviceId().equals(id)) {
                        DeviceMetrics before = metrics.put(id, m);
                        samplesReported.addAndGet(m.samplesSeen() - (before == null ? 0 : before.samplesSeen()));
                        history.add(java.time.Instant.now(), m);
                    }
                }
                default -> {
                    // tasks, rejects: our own traffic
                }
            }
        } catch (ProtocolException e) {
            refusedMessages.computeIfAbsent(e.reason(), k -> new AtomicLong()).incrementAndGet();
            long n = refusalLog.count(id);
            if (n > 0) {
                LOG.log(System.Logger.Level.WARNING, "refused {0}: {1}{2}", topic, e.getMessage(),
                        io.tinyfed.coordinator.round.LogThrottle.suffix(n));
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "handling " + topic + " failed", e);
        }
    }

    @Override
    public void publishSnapshot(ModelSnapshot snapshot) {
        byte[] bytes = WireCodec.encode(snapshot);
        snapshotBytesPublished.addAndGet(bytes.length);
        send(topics.model(snapshot.modelId()), bytes, true);
    }

    @Override
    public void publishDelta(io.tinyfed.protocol.SnapshotDelta delta) {
        byte[] bytes = WireCodec.encode(delta);
        deltaBytesPublished.addAndGet(bytes.length);
        send(topics.modelDelta(delta.modelId()), bytes, false);
    }

    @Override
    public void sendTask(String deviceId, TrainTask task) {
        publishLater(topics.device(deviceId, Topics.DeviceTopic.TASK), () -> WireCodec.encode(task, deviceId, signer));
    }

    /** Signs and sends a deploy to one device (QoS 1, not retained). */
    public void sendDeploy(String deviceId, io.tinyfed.protocol.Deploy deploy) {
        publishLater(topics.device(deviceId, Topics.DeviceTopic.DEPLOY), () -> WireCodec.encode(deploy, deviceId, signer));
    }

    @Override
    public void sendReject(String deviceId, Reject reject) {
        publishLater(topics.device(deviceId, Topics.DeviceTopic.REJECT), () -> WireCodec.encode(reject, signer));
    }

    /** Signs and publishes on the publisher threads, so starting a round for a large fleet does not wait for either. */
    private void publishLater(String topic, java.util.function.Supplier<byte[]> payload) {
        try {
            publishers.execute(() -> send(topic, payload.get(), false));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.log(System.Logger.Level.DEBUG, "shutting down: not sent to {0}", topic);
        }
    }

    private void send(String topic, byte[] payload, boolean retained) {
        try {
            transport.publish(topic, payload, retained);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "publish to {0} failed: {1}", topic, e.getMessage());
        }
    }

    /**
     * Clears the retained messages of this fleet on the broker: the model snapshot and the hello
     * and state of {@code deviceIds} (for shared brokers, when a fleet is retired).
     */
    public void clearRetained(String modelId, java.util.Collection<String> deviceIds) {
        send(topics.model(modelId), new byte[0], true);
        for (String id : deviceIds) {
            send(topics.device(id, Topics.DeviceTopic.HELLO), new byte[0], true);
            send(topics.device(id, Topics.DeviceTopic.STATE), new byte[0], true);
            send(topics.device(id, Topics.DeviceTopic.DEPLOYMENT), new byte[0], true);
        }
    }

    /** The last reports of every device. */
    public MetricsHistory metricsHistory() {
        return history;
    }

    /** The samples the devices' latest metrics reports count, summed. */
    public long samplesReported() {
        return samplesReported.get();
    }

    /** Latest metrics per device. */
    public Map<String, DeviceMetrics> metrics() {
        return Map.copyOf(metrics);
    }

    /** One device's latest metrics, if it reported any (no copy of the others'). */
    public java.util.Optional<DeviceMetrics> metricsOf(String deviceId) {
        return java.util.Optional.ofNullable(metrics.get(deviceId));
    }

    /**
     * What the links carried so far: update payloads received and their bytes, then the bytes of the full snapshots and
     * of the version deltas published (once each, whatever the number of subscribers).
     */
    public long[] traffic() {
        return new long[] {updatesReceived.get(), updateBytesReceived.get(), snapshotBytesPublished.get(),
            deltaBytesPublished.get()};
    }

    /** Non-update messages refused, per reason (update refusals are counted by the engine). */
    public Map<RejectReason, Long> refusedMessages() {
        Map<RejectReason, Long> out = new java.util.EnumMap<>(RejectReason.class);
        refusedMessages.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    public void close() {
        decoders.shutdown();
        publishers.shutdown();
        try {
            publishers.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        transport.close();
    }
}
