package io.tinyfed.firmware.serial;

import io.tinyfed.core.DeltaCompressor;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.SparseDelta;
import io.tinyfed.protocol.Deploy;
import io.tinyfed.protocol.DeploymentStatus;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.DeviceState;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.protocol.mqtt.TlsFiles;
import io.tinyfed.protocol.mqtt.Transport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway side of one serial line: the MCU on it becomes an ordinary fleet device. Its HELLO
 * opens an MQTT session under the device's own id (so the coordinator, its ACL and the registry see
 * the MCU's real capabilities, attached via this gateway); verified meta-model snapshots are quantised
 * to int16 with the firmware model's activation scales and sent in chunks; tasks are forwarded; the
 * adapted int16 model the MCU returns becomes an F32 delta against the snapshot and is published as
 * the device's update. When the task asks for a compressed uplink, firmware exported with a residual compresses on the
 * MCU (an UPDATE_S8 frame, checked and forwarded as it came); for other firmware the gateway compresses the MCU's
 * delta and keeps its residual. Nothing the MCU sends reaches the coordinator unless it decodes completely.
 *
 * <p>Deployments: a signed {@link Deploy} for the MCU is verified here (signature, device, bounds,
 * replay, and that the MCU's firmware runs the version's architecture), quantised like a snapshot and
 * sent as DEPLOY frames; the MCU installs it in one of its two model slots, compares it in shadow and
 * answers with DEPLOYMENT frames, which become the device's retained {@link DeploymentStatus}. A deploy
 * refused here is reported as FAILED with the reason, exactly as an agent would report it.
 */
public final class SerialBridge implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SerialBridge.class.getName());
    /** Bytes of model state per chunk (payload minus the 8-byte chunk header). */
    public static final int CHUNK = 496;

    private final SerialLink link;
    private final String brokerUri;
    private final Topics topics;
    private final SnapshotVerifier verifier;
    private final Model firmwareModel;
    private final String gatewayId;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tinyfed-bridge-worker");
        t.setDaemon(true);
        return t;
    });
    private final Map<Long, Model> snapshots = new ConcurrentHashMap<>();
    private final Set<Long> sentVersions = ConcurrentHashMap.newKeySet();
    private final Map<Integer, TrainTask> tasks = new ConcurrentHashMap<>();
    private volatile Transport transport;
    private TlsFiles tls;
    private char[] password;
    private volatile String deviceId;
    private ByteArrayOutputStream updateAssembly;
    private int updateRound = -1;
    private int updateNext;
    private boolean updateCompressed;
    private final AtomicLong updatesPublished = new AtomicLong();
    /** Updates the MCU compressed itself (UPDATE_S8), forwarded as they came. */
    private final AtomicLong compressedFromMcu = new AtomicLong();
    private final AtomicLong updateBytesPublished = new AtomicLong();
    /** With compressed uplink: what the MCU's updates left unsent (serial reader thread only). */
    private DeltaCompressor compressor;
    /** The models the MCU sent back, by round: the last {@link #ADAPTED_KEPT} rounds, oldest dropped first. */
    private final Map<Integer, Model> adapted = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Integer, Model> eldest) {
                    return size() > ADAPTED_KEPT;
                }
            });
    /** Rounds whose adapted model is kept for {@link #adapted(int)}. */
    public static final int ADAPTED_KEPT = 16;
    private final AtomicLong refusedFromDevice = new AtomicLong();
    private final AtomicLong deploysForwarded = new AtomicLong();
    private final AtomicLong deploysRefused = new AtomicLong();
    // Deployment state (worker thread): the deploy the MCU works on, and what it reported last.
    private Instant lastIssued = Instant.EPOCH;
    private DeployContext deploying;
    private volatile DeploymentStatus reported;
    private long lastSentVersion = -1;

    /** The rollout an MCU's DEPLOYMENT frames belong to (the MCU itself knows only versions). */
    private record DeployContext(String rolloutId, int wave, String modelId) {
    }

    /**
     * @param firmwareModel the S16 model the MCU's firmware was exported from (architecture and activation scales)
     */
    public SerialBridge(InputStream in, OutputStream out, String brokerUri, String fleet, SnapshotVerifier verifier,
                        Model firmwareModel, String gatewayId) {
        this.brokerUri = brokerUri;
        this.topics = Topics.of(fleet);
        this.verifier = verifier;
        this.firmwareModel = firmwareModel;
        this.gatewayId = gatewayId;
        this.link = new SerialLink(in, out, this::onFrame, Duration.ofMillis(200), 10).onClosed(this::lineClosed);
    }

    /**
     * How the MCU's MQTT session authenticates, set before {@link #start()}: TLS files for an
     * {@code ssl://} broker (a client certificate issued to the MCU's device id, for brokers that
     * require one) and/or the MCU's broker password (user name = device id).
     */
    public SerialBridge authenticate(TlsFiles tls, char[] password) {
        this.tls = tls;
        this.password = password == null ? null : password.clone();
        return this;
    }

    /** The MCU went away: it is offline for the fleet (retained state), and its MQTT session ends. */
    private void lineClosed() {
        Transport t = transport;
        if (t == null) {
            return;
        }
        try {
            t.publish(topics.device(deviceId, Topics.DeviceTopic.STATE), WireCodec.encode(new DeviceState(deviceId, false)), true);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "offline state not published: {0}", e.toString());
        }
        t.close();
        transport = null;
        LOG.log(System.Logger.Level.INFO, "serial device {0}: line closed, device offline", deviceId);
    }

    public SerialBridge start() {
        link.start();
        return this;
    }

    // ---- from the MCU -------------------------------------------------------------------------------------

    private void onFrame(Frames.Frame f) {
        try {
            switch (f.type()) {
                case Frames.HELLO -> hello(f.payload());
                case Frames.UPDATE -> updateChunk(f.payload(), false);
                case Frames.UPDATE_S8 -> updateChunk(f.payload(), true);
                case Frames.DEPLOYMENT -> {
                    byte[] p = f.payload();
                    worker.execute(() -> deploymentFromMcu(p));
                }
                case Frames.STATE, Frames.METRICS -> { }
                default -> refuse("unexpected frame type " + f.type());
            }
        } catch (RuntimeException | IOException e) {
            refuse(e.getMessage());
        } catch (Exception e) {
            refuse(e.toString());
        }
    }

    private void refuse(String why) {
        refusedFromDevice.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "serial device {0}: {1}", deviceId, why);
    }

    private void hello(byte[] p) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN);
        long ram = Integer.toUnsignedLong(b.getInt());
        long flash = Integer.toUnsignedLong(b.getInt());
        int clock = b.getShort() & 0xFFFF;
        int formats = b.get() & 0xFF;
        String id = str(b);
        String cpu = str(b);
        String sensors = str(b);
        String firmware = str(b);
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IOException("invalid device id '" + id + "'");
        }
        EnumSet<NumberFormat> set = EnumSet.noneOf(NumberFormat.class);
        if ((formats & 1) != 0) {
            set.add(NumberFormat.F32);
        }
        if ((formats & 2) != 0) {
            set.add(NumberFormat.S16);
        }
        List<String> sensorList = sensors.isEmpty() ? List.of() : List.of(sensors.split(","));
        DeviceHello hello = new DeviceHello(id, topics.fleet(), ram, flash, cpu, clock, set, sensorList, "tinyfed-c",
                firmware, gatewayId);
        if (transport == null) {
            deviceId = id;
            PahoTransport t = new PahoTransport(brokerUri, id, password == null ? null : id, password, tls);
            transport = t;
            t.connect(new Transport.Listener() {
                @Override
                public void message(String topic, byte[] payload) {
                    worker.execute(() -> onMessage(topic, payload));
                }

                @Override
                public void connected(boolean reconnect) {
                    worker.execute(() -> announce(hello));
                }
            }, topics.device(id, Topics.DeviceTopic.STATE), WireCodec.encode(new DeviceState(id, false)));
        }
    }

    private void announce(DeviceHello hello) {
        try {
            transport.subscribe(topics.device(hello.deviceId(), Topics.DeviceTopic.TASK),
                    topics.device(hello.deviceId(), Topics.DeviceTopic.DEPLOY), topics.allModels());
            transport.publish(topics.device(hello.deviceId(), Topics.DeviceTopic.HELLO), WireCodec.encode(hello), true);
            transport.publish(topics.device(hello.deviceId(), Topics.DeviceTopic.STATE),
                    WireCodec.encode(new DeviceState(hello.deviceId(), true)), true);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "announce failed: {0}", e.toString());
        }
    }

    private void updateChunk(byte[] p, boolean compressed) throws Exception {
        if (p.length < 8) {
            throw new IOException("update chunk of " + p.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN);
        int round = b.getInt();
        int index = b.getShort() & 0xFFFF;
        int count = b.getShort() & 0xFFFF;
        if (index == 0) {
            updateAssembly = new ByteArrayOutputStream();
            updateRound = round;
            updateNext = 0;
            updateCompressed = compressed;
        }
        if (updateAssembly == null || round != updateRound || index != updateNext || compressed != updateCompressed) {
            updateAssembly = null;
            throw new IOException("update chunk " + index + "/" + count + " of round " + round + " out of order");
        }
        updateAssembly.write(p, 8, p.length - 8);
        updateNext++;
        if (updateNext < count) {
            return;
        }
        byte[] all = updateAssembly.toByteArray();
        updateAssembly = null;
        publishUpdate(round, all, compressed);
    }

    private void publishUpdate(int round, byte[] all, boolean compressed) throws Exception {
        TrainTask task = tasks.remove(round);
        if (task == null) {
            throw new IOException("update for round " + round + " without a task");
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long version = Integer.toUnsignedLong(b.getInt());
        int samples = b.getInt();
        float before = b.getFloat();
        float after = b.getFloat();
        Model theta = snapshots.get(version);
        if (theta == null || version != task.modelVersion()) {
            throw new IOException("update against version " + version + ", task asked " + task.modelVersion());
        }
        if (compressed) {
            publishCompressed(round, task, version, samples, before, after, b, theta.parameterCount());
            return;
        }
        Model phi = readState(b);
        adapted.put(round, phi);
        float[] t = theta.toRealVector();
        float[] p = phi.toRealVector();
        float[] delta = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            delta[i] = p[i] - t[i];
            if (!Float.isFinite(delta[i])) {
                throw new IOException("non-finite delta at " + i);
            }
        }
        ModelUpdate u = new ModelUpdate(round, deviceId, task.modelId(), version, delta, samples, before, after);
        byte[] payload;
        if (task.compressedUplink()) {
            // The gateway keeps the MCU's residual: the serial line carries the whole state, the uplink the top of it.
            compressor = DeltaCompressor.reuse(compressor, delta.length, NumberFormat.S16);
            payload = WireCodec.encode(u, compressor.compress(delta, task.uplinkFraction()));
        } else {
            payload = WireCodec.encode(u, NumberFormat.F32, 0);
        }
        publish(payload);
    }

    /**
     * An UPDATE_S8 from the MCU: it compressed the round's change itself and keeps the residual in its arena, so the
     * gateway checks the sent values (positions in range and increasing, block exponents in range: {@link SparseDelta})
     * and forwards them as they are.
     */
    private void publishCompressed(int round, TrainTask task, long version, int samples, float before, float after,
                                   ByteBuffer b, int parameterCount) throws Exception {
        if (!task.compressedUplink()) {
            throw new IOException("compressed update for round " + round + ", whose task asked for the whole delta");
        }
        if (b.remaining() < 2) {
            throw new IOException("compressed update of round " + round + " without its count");
        }
        int count = b.getShort() & 0xFFFF;
        int blocks = SparseDelta.blocks(count);
        if (count == 0 || b.remaining() != blocks + 3 * count) {
            throw new IOException("compressed update of round " + round + ": " + count + " values in " + b.remaining()
                    + " bytes");
        }
        byte[] fracs = new byte[blocks];
        b.get(fracs);
        int[] positions = new int[count];
        byte[] values = new byte[count];
        for (int j = 0; j < count; j++) {
            positions[j] = b.getShort() & 0xFFFF;
            values[j] = b.get();
        }
        SparseDelta sent;
        try {
            sent = new SparseDelta(parameterCount, positions, values, fracs);
        } catch (IllegalArgumentException e) {
            throw new IOException("compressed update of round " + round + ": " + e.getMessage(), e);
        }
        ModelUpdate u = new ModelUpdate(round, deviceId, task.modelId(), version, sent.toDense(), samples, before, after);
        compressedFromMcu.incrementAndGet();
        publish(WireCodec.encode(u, sent));
    }

    private void publish(byte[] payload) throws Exception {
        transport.publish(topics.device(deviceId, Topics.DeviceTopic.UPDATE), payload, false);
        updatesPublished.incrementAndGet();
        updateBytesPublished.addAndGet(payload.length);
    }

    // ---- from MQTT ----------------------------------------------------------------------------------------

    private void onMessage(String topic, byte[] payload) {
        try {
            Topics.Address a = topics.parse(topic).orElse(null);
            if (a == null) {
                return;
            }
            if (a.isModel()) {
                ModelSnapshot s = WireCodec.decodeSnapshot(payload);
                verifier.verify(s);
                if (!s.model().architecture().equals(firmwareModel.architecture())) {
                    return; // another model of the fleet: not for this firmware
                }
                snapshots.put(s.version(), s.model());
                sendSnapshot(s.version(), toFirmware(s.model()));
            } else if (a.kind() == Topics.DeviceTopic.DEPLOY) {
                deploy(payload);
            } else if (a.kind() == Topics.DeviceTopic.TASK) {
                TrainTask t = WireCodec.decodeTask(payload, deviceId, verifier);
                t.requireWithinDeviceBounds(System.currentTimeMillis());
                tasks.put(t.round(), t);
                if (sentVersions.contains(t.modelVersion())) {
                    ByteBuffer b = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
                    b.putInt(t.round()).putInt((int) t.modelVersion()).putShort((short) t.innerSteps())
                            .putShort((short) t.batchSize()).putFloat(t.learningRate()).putShort((short) t.uplinkPermille());
                    link.send(Frames.TASK, b.array());
                }
            }
        } catch (ProtocolException e) {
            LOG.log(System.Logger.Level.WARNING, "refused MQTT message on {0}: {1}", topic, e.getMessage());
        } catch (IOException | InterruptedException e) {
            LOG.log(System.Logger.Level.WARNING, "serial send failed: {0}", e.toString());
        }
    }

    /** The meta-model quantised for the firmware: weight scales from each tensor's range, activation scales as exported. */
    public Model toFirmware(Model meta) {
        Model f32 = meta.format() == NumberFormat.F32 ? meta : Quantizer.toF32(meta);
        int[] outputFrac = new int[f32.architecture().parametrizedLayerCount()];
        for (int k = 0; k < outputFrac.length; k++) {
            outputFrac[k] = firmwareModel.outputFrac(k);
        }
        return Quantizer.toS16(f32, firmwareModel.inputFrac(), outputFrac);
    }

    private void sendSnapshot(long version, Model s16) throws IOException, InterruptedException {
        sendChunks(Frames.SNAPSHOT, version, writeState(s16));
        sentVersions.add(version);
        lastSentVersion = version;
    }

    // ---- deployments --------------------------------------------------------------------------------------

    /** Worker thread: a deploy for the MCU, verified here, forwarded when the MCU can run it. */
    private void deploy(byte[] payload) throws IOException, InterruptedException {
        Deploy d;
        try {
            d = WireCodec.decodeDeploy(payload, deviceId, verifier);
            d.requireWithinDeviceBounds();
        } catch (ProtocolException e) {
            refuseDeploy(WireCodec.unverifiedRolloutId(payload).orElse("unknown"), 0, -1, null,
                    e.getMessage());
            return;
        }
        if (!d.issuedAt().isAfter(lastIssued)) {
            LOG.log(System.Logger.Level.WARNING, "serial device {0}: ignored deploy of rollout {1} issued at {2}: the "
                    + "last one applied was issued at {3}", deviceId, d.rolloutId(), d.issuedAt(), lastIssued);
            return;
        }
        lastIssued = d.issuedAt();
        if (d.action() == Deploy.Action.ROLLBACK) {
            if (deploying == null || !deploying.rolloutId().equals(d.rolloutId())) {
                DeploymentStatus last = reported;
                publishStatus(new DeploymentStatus(deviceId, d.rolloutId(), d.wave(), DeploymentStatus.State.ROLLED_BACK,
                        last == null ? "none" : last.modelId(), servingVersion(), last == null ? -1 : last.previousVersion(),
                        0, "nothing of the rollout installed: serving unchanged", 0, Double.NaN, Double.NaN, false,
                        NumberFormat.S16));
                return;
            }
            deploying = new DeployContext(d.rolloutId(), d.wave(), deploying.modelId());
            sendDeploy(2, 0, d, null);
            return;
        }
        ModelSnapshot s = d.snapshot();
        String unfit = unfit(s.model());
        if (unfit != null) {
            refuseDeploy(d.rolloutId(), d.wave(), s.version(), s.modelId(), unfit);
            return;
        }
        deploying = new DeployContext(d.rolloutId(), d.wave(), s.modelId());
        sendDeploy(1, s.version(), d, toFirmware(s.model()));
    }

    /** Why the MCU's firmware cannot run {@code model}; null when it can. */
    String unfit(Model model) {
        if (!model.architecture().equals(firmwareModel.architecture())) {
            return "this MCU's firmware runs " + firmwareModel.architecture() + "; the version is "
                    + model.architecture();
        }
        return null;
    }

    /** DEPLOY chunks: {@code action u8, shadow samples u32, personalisation steps u16, learning rate f32, [model state]}. */
    private void sendDeploy(int action, long version, Deploy d, Model s16) throws IOException, InterruptedException {
        byte[] state = s16 == null ? new byte[0] : writeState(s16);
        ByteBuffer body = ByteBuffer.allocate(11 + state.length).order(ByteOrder.LITTLE_ENDIAN);
        body.put((byte) action).putInt(d.shadowSamples()).putShort((short) d.personaliseSteps())
                .putFloat(d.personaliseLearningRate()).put(state);
        sendChunks(Frames.DEPLOY, version, body.array());
        deploysForwarded.incrementAndGet();
    }

    private void refuseDeploy(String rolloutId, int wave, long target, String modelId, String reason) {
        deploysRefused.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "serial device {0}: refused deploy of rollout {1}: {2}", deviceId, rolloutId,
                reason);
        DeploymentStatus last = reported;
        publishStatus(new DeploymentStatus(deviceId, rolloutId, wave, DeploymentStatus.State.FAILED,
                last != null ? last.modelId() : modelId != null ? modelId : "none", servingVersion(),
                last == null ? -1 : last.previousVersion(), Math.max(0, target), reason, 0, Double.NaN, Double.NaN, false,
                NumberFormat.S16));
    }

    private long servingVersion() {
        DeploymentStatus last = reported;
        return last != null ? last.servingVersion() : lastSentVersion;
    }

    /**
     * Worker thread: the MCU's DEPLOYMENT frame ({@code state u8, serving u32, previous u32, target u32,
     * shadow samples u32, candidate loss f32, previous loss f32, personalised u8, reason str}; version
     * 0xFFFFFFFF = none) becomes the device's retained status; a malformed one is refused and counted.
     */
    private void deploymentFromMcu(byte[] p) {
        try {
            DeployContext ctx = deploying;
            if (ctx == null) {
                throw new IOException("deployment status without a deploy");
            }
            ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN);
            int state = b.get() & 0xFF;
            DeploymentStatus.State[] states = DeploymentStatus.State.values();
            if (state >= states.length) {
                throw new IOException("deployment state " + state + " unknown");
            }
            long serving = version(b.getInt());
            long previous = version(b.getInt());
            long target = Math.max(0, version(b.getInt()));
            int shadowSamples = b.getInt();
            float candidate = b.getFloat();
            float previousLoss = b.getFloat();
            boolean personalised = b.get() != 0;
            String reason = str(b);
            if (b.hasRemaining() || shadowSamples < 0 || shadowSamples > Deploy.MAX_SHADOW_SAMPLES) {
                throw new IOException("malformed deployment status (" + p.length + " B)");
            }
            publishStatus(new DeploymentStatus(deviceId, ctx.rolloutId(), ctx.wave(), states[state], ctx.modelId(), serving,
                    previous, target, reason, shadowSamples, candidate, previousLoss, personalised, NumberFormat.S16));
        } catch (IOException | java.nio.BufferUnderflowException e) {
            refuse("deployment status refused: " + e.getMessage());
        }
    }

    private static long version(int v) {
        return v == -1 ? -1 : Integer.toUnsignedLong(v);
    }

    private void publishStatus(DeploymentStatus s) {
        reported = s;
        Transport t = transport;
        if (t == null) {
            return;
        }
        try {
            t.publish(topics.device(deviceId, Topics.DeviceTopic.DEPLOYMENT), WireCodec.encode(s), true);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "deployment status not published: {0}", e.toString());
        }
    }

    /** {@code bytes} in chunks of {@link #CHUNK}: {@code version u32, index u16, count u16, bytes}, each acknowledged. */
    private void sendChunks(int type, long version, byte[] bytes) throws IOException, InterruptedException {
        int count = Math.max(1, (bytes.length + CHUNK - 1) / CHUNK);
        for (int c = 0; c < count; c++) {
            int len = Math.min(CHUNK, bytes.length - c * CHUNK);
            ByteBuffer b = ByteBuffer.allocate(8 + len).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt((int) version).putShort((short) c).putShort((short) count).put(bytes, c * CHUNK, len);
            if (!link.send(type, b.array())) {
                throw new IOException((type == Frames.DEPLOY ? "deploy " : "snapshot ") + version + " chunk " + c
                        + " not acknowledged");
            }
        }
    }

    /** Model state on the wire: tensor fracs, input frac, output fracs (int8 each), then int16 parameters LE. */
    static byte[] writeState(Model s16) {
        int tensors = s16.architecture().tensorCount();
        int layers = s16.architecture().parametrizedLayerCount();
        ByteBuffer b = ByteBuffer.allocate(tensors + 1 + layers + 2 * s16.parameterCount()).order(ByteOrder.LITTLE_ENDIAN);
        for (int t = 0; t < tensors; t++) {
            b.put((byte) s16.tensorFrac(t));
        }
        b.put((byte) s16.inputFrac());
        for (int k = 0; k < layers; k++) {
            b.put((byte) s16.outputFrac(k));
        }
        for (short v : s16.s16Parameters()) {
            b.putShort(v);
        }
        return b.array();
    }

    private Model readState(ByteBuffer b) throws IOException {
        int tensors = firmwareModel.architecture().tensorCount();
        int layers = firmwareModel.architecture().parametrizedLayerCount();
        int params = firmwareModel.parameterCount();
        if (b.remaining() != tensors + 1 + layers + 2 * params) {
            throw new IOException("model state of " + b.remaining() + " B, expected " + (tensors + 1 + layers + 2 * params));
        }
        int[] tf = new int[tensors];
        for (int t = 0; t < tensors; t++) {
            tf[t] = b.get();
        }
        int inputFrac = b.get();
        int[] of = new int[layers];
        for (int k = 0; k < layers; k++) {
            of[k] = b.get();
        }
        short[] p = new short[params];
        for (int i = 0; i < params; i++) {
            p[i] = b.getShort();
        }
        try {
            return Model.ofS16(firmwareModel.architecture(), p, tf, inputFrac, of);
        } catch (IllegalArgumentException e) {
            throw new IOException("invalid model state: " + e.getMessage(), e);
        }
    }

    private static String str(ByteBuffer b) {
        int n = b.get() & 0xFF;
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    public String deviceId() {
        return deviceId;
    }

    /** The S16 model the MCU adapted in {@code round} (its parameters as it sent them), if the round is recent. */
    public java.util.Optional<Model> adapted(int round) {
        return java.util.Optional.ofNullable(adapted.get(round));
    }

    /** Updates the MCU compressed itself and the gateway forwarded as they came. */
    public long compressedFromMcu() {
        return compressedFromMcu.get();
    }

    public long updatesPublished() {
        return updatesPublished.get();
    }

    /** Payload bytes of the updates published for the MCU. */
    public long updateBytesPublished() {
        return updateBytesPublished.get();
    }

    public long refusedFromDevice() {
        return refusedFromDevice.get();
    }

    /** Deploys verified here and sent to the MCU. */
    public long deploysForwarded() {
        return deploysForwarded.get();
    }

    /** Deploys refused here (signature, bounds, a version the firmware cannot run), each reported as FAILED. */
    public long deploysRefused() {
        return deploysRefused.get();
    }

    /** The deployment status last published for the MCU; empty before its first deploy. */
    public java.util.Optional<DeploymentStatus> deployment() {
        return java.util.Optional.ofNullable(reported);
    }

    public SerialLink link() {
        return link;
    }

    @Override
    public void close() {
        link.close();
        worker.shutdownNow();
        Transport t = transport;
        if (t != null) {
            t.close();
        }
    }

}
