package io.tinyfed.firmware.serial;

import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.Quantizer;
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
 * the device's update. Nothing the MCU sends reaches the coordinator unless it decodes completely.
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
    private final AtomicLong updatesPublished = new AtomicLong();
    private final AtomicLong refusedFromDevice = new AtomicLong();

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
                case Frames.UPDATE -> updateChunk(f.payload());
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
            transport.subscribe(topics.device(hello.deviceId(), Topics.DeviceTopic.TASK), topics.allModels());
            transport.publish(topics.device(hello.deviceId(), Topics.DeviceTopic.HELLO), WireCodec.encode(hello), true);
            transport.publish(topics.device(hello.deviceId(), Topics.DeviceTopic.STATE),
                    WireCodec.encode(new DeviceState(hello.deviceId(), true)), true);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "announce failed: {0}", e.toString());
        }
    }

    private void updateChunk(byte[] p) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN);
        int round = b.getInt();
        int index = b.getShort() & 0xFFFF;
        int count = b.getShort() & 0xFFFF;
        if (index == 0) {
            updateAssembly = new ByteArrayOutputStream();
            updateRound = round;
            updateNext = 0;
        }
        if (updateAssembly == null || round != updateRound || index != updateNext) {
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
        publishUpdate(round, all);
    }

    private void publishUpdate(int round, byte[] all) throws Exception {
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
        Model phi = readState(b);
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
        transport.publish(topics.device(deviceId, Topics.DeviceTopic.UPDATE), WireCodec.encode(u, NumberFormat.F32, 0), false);
        updatesPublished.incrementAndGet();
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
            } else if (a.kind() == Topics.DeviceTopic.TASK) {
                TrainTask t = WireCodec.decodeTask(payload, deviceId, verifier);
                t.requireWithinDeviceBounds(System.currentTimeMillis());
                tasks.put(t.round(), t);
                if (sentVersions.contains(t.modelVersion())) {
                    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
                    b.putInt(t.round()).putInt((int) t.modelVersion()).putShort((short) t.innerSteps())
                            .putShort((short) t.batchSize()).putFloat(t.learningRate());
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
    Model toFirmware(Model meta) {
        Model f32 = meta.format() == NumberFormat.F32 ? meta : Quantizer.toF32(meta);
        int[] outputFrac = new int[f32.architecture().parametrizedLayerCount()];
        for (int k = 0; k < outputFrac.length; k++) {
            outputFrac[k] = firmwareModel.outputFrac(k);
        }
        return Quantizer.toS16(f32, firmwareModel.inputFrac(), outputFrac);
    }

    private void sendSnapshot(long version, Model s16) throws IOException, InterruptedException {
        byte[] state = writeState(s16);
        int count = (state.length + CHUNK - 1) / CHUNK;
        for (int c = 0; c < count; c++) {
            int len = Math.min(CHUNK, state.length - c * CHUNK);
            ByteBuffer b = ByteBuffer.allocate(8 + len).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt((int) version).putShort((short) c).putShort((short) count).put(state, c * CHUNK, len);
            if (!link.send(Frames.SNAPSHOT, b.array())) {
                throw new IOException("snapshot " + version + " chunk " + c + " not acknowledged");
            }
        }
        sentVersions.add(version);
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

    public long updatesPublished() {
        return updatesPublished.get();
    }

    public long refusedFromDevice() {
        return refusedFromDevice.get();
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
