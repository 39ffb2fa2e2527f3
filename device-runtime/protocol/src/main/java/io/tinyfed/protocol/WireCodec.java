package io.tinyfed.protocol;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.fixed.FixedPoint;
import io.tinyfed.protocol.internal.wire.Wire;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The transport edge: converts domain records to {@code tinyfed.v1} protobuf bytes and back.
 * Generated classes never leave this class. Every decode checks the size limit before parsing,
 * then every field; it returns a complete record or throws {@link ProtocolException} whose
 * {@link RejectReason} is what the receiver counts.
 */
public final class WireCodec {
    /** Largest S16 delta scale: deltas down to 2^-40 keep 15 significant bits. */
    public static final int MAX_DELTA_FRAC = 40;

    private WireCodec() {
    }

    // ---------------------------------------------------------------- hello

    public static byte[] encode(DeviceHello h) {
        Wire.DeviceHello.Builder b = Wire.DeviceHello.newBuilder()
                .setDeviceId(h.deviceId()).setFleet(h.fleet()).setRamBytes(h.ramBytes()).setFlashBytes(h.flashBytes())
                .setCpu(h.cpu()).setClockMhz(h.clockMhz()).addAllSensors(h.sensors())
                .setRuntimeVersion(h.runtimeVersion()).setFirmwareVersion(h.firmwareVersion())
                .setGatewayId(h.gatewayId() == null ? "" : h.gatewayId()).setSampleCapacity(h.sampleCapacity())
                .setSentAtMs(System.currentTimeMillis());
        for (NumberFormat f : NumberFormat.values()) {
            if (h.formats().contains(f)) {
                b.addFormats(toWire(f));
            }
        }
        return b.build().toByteArray();
    }

    public static DeviceHello decodeHello(byte[] bytes) throws ProtocolException {
        Wire.DeviceHello m = parse(bytes, Limits.HELLO_BYTES, "hello", Wire.DeviceHello.parser());
        if (m.getFormatsCount() == 0 || m.getFormatsCount() > Limits.MAX_LIST || m.getSensorsCount() > Limits.MAX_LIST) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "hello lists " + m.getFormatsCount()
                    + " number formats and " + m.getSensorsCount() + " sensors (1.." + Limits.MAX_LIST + " / 0.."
                    + Limits.MAX_LIST + ")");
        }
        Set<NumberFormat> formats = EnumSet.noneOf(NumberFormat.class);
        for (Wire.NumberFormat f : m.getFormatsList()) {
            formats.add(fromWire(f, "hello number format"));
        }
        if (m.getRamBytes() <= 0 || m.getFlashBytes() < 0) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "hello RAM must be positive, got " + m.getRamBytes());
        }
        for (String sensor : m.getSensorsList()) {
            Limits.requireId(sensor, "sensor");
        }
        String gateway = m.getGatewayId().isEmpty() ? null : Limits.requireId(m.getGatewayId(), "gateway id");
        if (m.getSampleCapacity() < 0 || m.getSampleCapacity() > DeviceHello.MAX_SAMPLE_CAPACITY) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "hello sample capacity "
                    + Integer.toUnsignedString(m.getSampleCapacity()) + " outside [0, " + DeviceHello.MAX_SAMPLE_CAPACITY + "]");
        }
        return new DeviceHello(Limits.requireId(m.getDeviceId(), "device id"), Limits.requireId(m.getFleet(), "fleet"),
                m.getRamBytes(), m.getFlashBytes(), bounded(m.getCpu(), "cpu"), m.getClockMhz(), formats,
                m.getSensorsList(), bounded(m.getRuntimeVersion(), "runtime version"),
                bounded(m.getFirmwareVersion(), "firmware version"), gateway, m.getSampleCapacity());
    }

    // ---------------------------------------------------------------- state

    public static byte[] encode(DeviceState s) {
        return Wire.DeviceState.newBuilder().setDeviceId(s.deviceId())
                .setState(s.online() ? Wire.DeviceState.State.ONLINE : Wire.DeviceState.State.OFFLINE)
                .setSentAtMs(System.currentTimeMillis()).build().toByteArray();
    }

    public static DeviceState decodeState(byte[] bytes) throws ProtocolException {
        Wire.DeviceState m = parse(bytes, Limits.STATE_BYTES, "state", Wire.DeviceState.parser());
        boolean online = switch (m.getState()) {
            case ONLINE -> true;
            case OFFLINE -> false;
            default -> throw new ProtocolException(RejectReason.INVALID_FIELD, "state is " + m.getState());
        };
        return new DeviceState(Limits.requireId(m.getDeviceId(), "device id"), online);
    }

    // ---------------------------------------------------------------- task

    /** {@code t} for device {@code deviceId}, signed by {@code signer}. */
    public static byte[] encode(TrainTask t, String deviceId, SnapshotSigner signer) {
        return Wire.TrainTask.newBuilder().setRound(t.round()).setModelId(t.modelId()).setModelVersion(t.modelVersion())
                .setInnerSteps(t.innerSteps()).setLearningRate(t.learningRate()).setBatchSize(t.batchSize())
                .setDeadlineMs(t.deadline().toEpochMilli()).setUplinkPermille(t.uplinkPermille())
                .setPersonalLayers(t.personalLayers()).setDeviceId(deviceId)
                .setKeyId(signer.keyId()).setSignature(ByteString.copyFrom(signer.signTask(t, deviceId))).build().toByteArray();
    }

    /**
     * A task for device {@code deviceId}: refused unless it names that device and a trusted
     * coordinator key signed it ({@link RejectReason#IDENTITY_MISMATCH}, {@link RejectReason#BAD_SIGNATURE}).
     */
    public static TrainTask decodeTask(byte[] bytes, String deviceId, SnapshotVerifier verifier) throws ProtocolException {
        Wire.TrainTask m = parse(bytes, Limits.TASK_BYTES, "task", Wire.TrainTask.parser());
        if (!m.getDeviceId().equals(deviceId)) {
            throw new ProtocolException(RejectReason.IDENTITY_MISMATCH, "task for '" + m.getDeviceId() + "' received by "
                    + deviceId);
        }
        if (m.getInnerSteps() < 1 || m.getInnerSteps() > 100_000 || m.getBatchSize() < 1 || m.getBatchSize() > 100_000) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "task inner steps " + m.getInnerSteps()
                    + " and batch size " + m.getBatchSize() + " must be in [1, 100000]");
        }
        if (!(m.getLearningRate() > 0) || !Float.isFinite(m.getLearningRate())) {
            throw new ProtocolException(RejectReason.NON_FINITE, "task learning rate " + m.getLearningRate());
        }
        if (Integer.toUnsignedLong(m.getUplinkPermille()) > 1000) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "task uplink per mille "
                    + Integer.toUnsignedString(m.getUplinkPermille()) + " outside [0, 1000]");
        }
        if (Integer.toUnsignedLong(m.getPersonalLayers()) > TrainTask.MAX_PERSONAL_LAYERS) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "task personal layers "
                    + Integer.toUnsignedString(m.getPersonalLayers()) + " outside [0, " + TrainTask.MAX_PERSONAL_LAYERS + "]");
        }
        TrainTask t = new TrainTask(m.getRound(), Limits.requireId(m.getModelId(), "model id"), m.getModelVersion(),
                m.getInnerSteps(), m.getLearningRate(), m.getBatchSize(), Instant.ofEpochMilli(m.getDeadlineMs()),
                m.getUplinkPermille(), m.getPersonalLayers());
        verifier.verifyTask(t, deviceId, m.getKeyId(), m.getSignature().toByteArray());
        return t;
    }

    /**
     * The round, model and version a task payload claims, its signature unchecked: for load generators that stand in
     * for thousands of devices and must not spend a device's verification on each. A device never acts on it.
     */
    public static java.util.Optional<TrainTask> unverifiedTask(byte[] bytes) {
        try {
            Wire.TrainTask m = parse(bytes, Limits.TASK_BYTES, "task", Wire.TrainTask.parser());
            if (!Limits.isValidId(m.getModelId()) || m.getInnerSteps() < 1 || m.getBatchSize() < 1
                    || !(m.getLearningRate() > 0) || Integer.toUnsignedLong(m.getUplinkPermille()) > 1000
                    || Integer.toUnsignedLong(m.getPersonalLayers()) > TrainTask.MAX_PERSONAL_LAYERS) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new TrainTask(m.getRound(), m.getModelId(), m.getModelVersion(), m.getInnerSteps(),
                    m.getLearningRate(), m.getBatchSize(), Instant.ofEpochMilli(m.getDeadlineMs()), m.getUplinkPermille(),
                    m.getPersonalLayers()));
        } catch (ProtocolException | IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    // ---------------------------------------------------------------- snapshot

    public static byte[] encode(ModelSnapshot s) {
        return toWire(s).toByteArray();
    }

    private static Wire.ModelSnapshot toWire(ModelSnapshot s) {
        Model model = s.model();
        Wire.ModelSnapshot.Builder b = Wire.ModelSnapshot.newBuilder().setModelId(s.modelId()).setVersion(s.version())
                .setFormat(toWire(model.format())).setKeyId(s.keyId())
                .setSignature(ByteString.copyFrom(s.signature())).setCreatedAtMs(s.createdAt().toEpochMilli());
        for (Layer l : model.architecture().layers()) {
            b.addLayers(toWire(l));
        }
        ByteBuffer p;
        if (model.format() == NumberFormat.S16) {
            b.setInputFrac(model.inputFrac());
            for (int k = 0; k < model.architecture().parametrizedLayerCount(); k++) {
                b.addOutputFrac(model.outputFrac(k));
            }
            for (int t = 0; t < model.architecture().tensorCount(); t++) {
                b.addTensorFrac(model.tensorFrac(t));
            }
            short[] v = model.s16Parameters();
            p = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            p.asShortBuffer().put(v);
        } else {
            float[] v = model.f32Parameters();
            p = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            p.asFloatBuffer().put(v);
        }
        return b.setParameters(ByteString.copyFrom(p.array())).build();
    }

    /** Structural decode; the signature is checked by {@link SnapshotVerifier}, not here. */
    public static ModelSnapshot decodeSnapshot(byte[] bytes) throws ProtocolException {
        return fromWire(parse(bytes, Limits.SNAPSHOT_BYTES, "snapshot", Wire.ModelSnapshot.parser()));
    }

    private static ModelSnapshot fromWire(Wire.ModelSnapshot m) throws ProtocolException {
        List<Layer> layers = new ArrayList<>(m.getLayersCount());
        for (Wire.Layer l : m.getLayersList()) {
            layers.add(fromWire(l));
        }
        Architecture arch;
        try {
            arch = Architecture.of(layers);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, "snapshot architecture: " + e.getMessage());
        }
        NumberFormat format = fromWire(m.getFormat(), "snapshot number format");
        int count = arch.parameterCount();
        if (count > Limits.MAX_PARAMETERS) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, "snapshot has " + count + " parameters, limit "
                    + Limits.MAX_PARAMETERS);
        }
        ByteBuffer p = m.getParameters().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (p.remaining() != (long) count * format.bytesPerElement()) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, "snapshot parameters are " + p.remaining()
                    + " bytes, the architecture needs " + (long) count * format.bytesPerElement());
        }
        Model model;
        try {
            if (format == NumberFormat.S16) {
                short[] v = new short[count];
                p.asShortBuffer().get(v);
                model = Model.ofS16(arch, v, toIntArray(m.getTensorFracList()), m.getInputFrac(),
                        toIntArray(m.getOutputFracList()));
            } else {
                float[] v = new float[count];
                p.asFloatBuffer().get(v);
                for (int i = 0; i < v.length; i++) {
                    if (!Float.isFinite(v[i])) {
                        throw new ProtocolException(RejectReason.NON_FINITE, "snapshot parameter " + i + " is " + v[i]);
                    }
                }
                model = Model.ofF32(arch, v);
            }
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "snapshot scales: " + e.getMessage());
        }
        return new ModelSnapshot(Limits.requireId(m.getModelId(), "model id"), m.getVersion(), model,
                bounded(m.getKeyId(), "key id"), m.getSignature().toByteArray(), Instant.ofEpochMilli(m.getCreatedAtMs()));
    }

    // ---------------------------------------------------------------- deploy and deployment status

    /** {@code d} for device {@code deviceId}, signed by {@code signer}. */
    public static byte[] encode(Deploy d, String deviceId, SnapshotSigner signer) {
        Wire.Deploy.Builder b = Wire.Deploy.newBuilder().setDeviceId(deviceId).setRolloutId(d.rolloutId())
                .setWave(d.wave()).setAction(d.action() == Deploy.Action.INSTALL ? Wire.Deploy.Action.INSTALL
                        : Wire.Deploy.Action.ROLLBACK)
                .setShadowSamples(d.shadowSamples()).setPersonaliseSteps(d.personaliseSteps())
                .setPersonaliseLearningRate(d.personaliseLearningRate()).setIssuedAtMs(d.issuedAt().toEpochMilli())
                .setKeyId(signer.keyId()).setSignature(ByteString.copyFrom(signer.signDeploy(d, deviceId)));
        if (d.snapshot() != null) {
            b.setSnapshot(toWire(d.snapshot()));
        }
        return b.build().toByteArray();
    }

    /**
     * A deploy for device {@code deviceId}: refused unless it names that device and a trusted
     * coordinator key signed it and, for an install, its snapshot.
     */
    public static Deploy decodeDeploy(byte[] bytes, String deviceId, SnapshotVerifier verifier) throws ProtocolException {
        Wire.Deploy m = parse(bytes, Limits.DEPLOY_BYTES, "deploy", Wire.Deploy.parser());
        if (!m.getDeviceId().equals(deviceId)) {
            throw new ProtocolException(RejectReason.IDENTITY_MISMATCH, "deploy for '" + m.getDeviceId() + "' received by "
                    + deviceId);
        }
        Deploy.Action action = switch (m.getAction()) {
            case INSTALL -> Deploy.Action.INSTALL;
            case ROLLBACK -> Deploy.Action.ROLLBACK;
            default -> throw new ProtocolException(RejectReason.INVALID_FIELD, "deploy action is " + m.getAction());
        };
        if ((action == Deploy.Action.INSTALL) != m.hasSnapshot()) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "an install carries a snapshot, a rollback none");
        }
        if (!Float.isFinite(m.getPersonaliseLearningRate()) || m.getPersonaliseLearningRate() < 0
                || (m.getPersonaliseSteps() > 0 && m.getPersonaliseLearningRate() == 0)) {
            throw new ProtocolException(RejectReason.NON_FINITE, "deploy personalisation learning rate "
                    + m.getPersonaliseLearningRate());
        }
        if (m.getShadowSamples() < 0 || m.getPersonaliseSteps() < 0 || m.getWave() < 0) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "deploy counts must not be negative");
        }
        Deploy d = new Deploy(Limits.requireId(m.getRolloutId(), "rollout id"), m.getWave(), action,
                m.hasSnapshot() ? fromWire(m.getSnapshot()) : null, m.getShadowSamples(), m.getPersonaliseSteps(),
                m.getPersonaliseLearningRate(), Instant.ofEpochMilli(m.getIssuedAtMs()));
        verifier.verifyDeploy(d, deviceId, m.getKeyId(), m.getSignature().toByteArray());
        return d;
    }

    /**
     * The rollout id a deploy payload claims, without checking anything else: for the FAILED status
     * a device reports about a deploy it refused. Never act on it.
     */
    public static java.util.Optional<String> unverifiedRolloutId(byte[] bytes) {
        try {
            String id = parse(bytes, Limits.DEPLOY_BYTES, "deploy", Wire.Deploy.parser()).getRolloutId();
            return Limits.isValidId(id) ? java.util.Optional.of(id) : java.util.Optional.empty();
        } catch (ProtocolException e) {
            return java.util.Optional.empty();
        }
    }

    public static byte[] encode(DeploymentStatus d) {
        Wire.DeploymentStatus.Builder b = Wire.DeploymentStatus.newBuilder().setDeviceId(d.deviceId())
                .setRolloutId(d.rolloutId()).setWave(d.wave())
                .setState(Wire.DeploymentStatus.State.valueOf(d.state().name())).setModelId(d.modelId())
                .setTargetVersion(Math.max(0, d.targetVersion()))
                .setReason(d.reason().length() > 512 ? d.reason().substring(0, 512) : d.reason())
                .setShadowSamples(d.shadowSamples()).setCandidateLoss(d.candidateLoss()).setPreviousLoss(d.previousLoss())
                .setPersonalised(d.personalised()).setSentAtMs(System.currentTimeMillis());
        if (d.format() != null) {
            b.setFormat(toWire(d.format()));
        }
        if (!Double.isNaN(d.genericLoss())) {
            b.setGenericLoss(d.genericLoss());
        }
        if (d.servingVersion() >= 0) {
            b.setHasServing(true).setServingVersion(d.servingVersion());
        }
        if (d.previousVersion() >= 0) {
            b.setHasPrevious(true).setPreviousVersion(d.previousVersion());
        }
        return b.build().toByteArray();
    }

    public static DeploymentStatus decodeDeploymentStatus(byte[] bytes) throws ProtocolException {
        Wire.DeploymentStatus m = parse(bytes, Limits.DEPLOYMENT_STATUS_BYTES, "deployment status",
                Wire.DeploymentStatus.parser());
        DeploymentStatus.State state = switch (m.getState()) {
            case RECEIVED -> DeploymentStatus.State.RECEIVED;
            case SHADOWING -> DeploymentStatus.State.SHADOWING;
            case SERVING -> DeploymentStatus.State.SERVING;
            case FAILED -> DeploymentStatus.State.FAILED;
            case ROLLED_BACK -> DeploymentStatus.State.ROLLED_BACK;
            default -> throw new ProtocolException(RejectReason.INVALID_FIELD, "deployment state is " + m.getState());
        };
        if (m.getShadowSamples() < 0 || !(Double.isNaN(m.getCandidateLoss()) || m.getCandidateLoss() >= 0)
                || !(Double.isNaN(m.getPreviousLoss()) || m.getPreviousLoss() >= 0)
                || !(Double.isNaN(m.getGenericLoss()) || m.getGenericLoss() >= 0)
                || Double.isInfinite(m.getCandidateLoss()) || Double.isInfinite(m.getPreviousLoss())
                || Double.isInfinite(m.getGenericLoss())) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "deployment figures must be finite, non-negative "
                    + "or NaN (not measured)");
        }
        if ((m.getHasServing() && m.getServingVersion() < 0) || (m.getHasPrevious() && m.getPreviousVersion() < 0)
                || m.getTargetVersion() < 0) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "deployment versions must not be negative");
        }
        return new DeploymentStatus(Limits.requireId(m.getDeviceId(), "device id"),
                Limits.requireId(m.getRolloutId(), "rollout id"), m.getWave(), state,
                Limits.requireId(m.getModelId(), "model id"), m.getHasServing() ? m.getServingVersion() : -1,
                m.getHasPrevious() ? m.getPreviousVersion() : -1, m.getTargetVersion(),
                bounded(m.getReason(), 512, "deployment reason"), m.getShadowSamples(), m.getCandidateLoss(),
                m.getPreviousLoss(), m.getPersonalised(), m.getFormat() == Wire.NumberFormat.NUMBER_FORMAT_UNSPECIFIED ? null
                : fromWire(m.getFormat(), "deployment number format"), m.hasGenericLoss() ? m.getGenericLoss() : Double.NaN);
    }

    // ---------------------------------------------------------------- update

    /**
     * Encodes an update. {@code F32} sends float32 values; {@code S16} sends int16 values with one
     * power-of-two scale chosen so the largest magnitude fills int16 (relative error below 2^-15 of
     * the largest value). {@code topK > 0} sends only the {@code topK} largest-magnitude positions.
     */
    public static byte[] encode(ModelUpdate u, NumberFormat deltaFormat, int topK) {
        float[] d = u.delta();
        int[] indices = topK > 0 && topK < d.length ? TopK.largestMagnitudes(d, topK) : null;
        int n = indices == null ? d.length : indices.length;
        Wire.ModelUpdate.Builder b = Wire.ModelUpdate.newBuilder().setRound(u.round()).setDeviceId(u.deviceId())
                .setModelId(u.modelId()).setBaseVersion(u.baseVersion()).setParameterCount(d.length)
                .setDeltaFormat(toWire(deltaFormat)).setSampleCount(u.sampleCount()).setLossBefore(u.lossBefore())
                .setLossAfter(u.lossAfter()).setSentAtMs(System.currentTimeMillis());
        if (u.contributors() > 1) {
            b.setContributors(u.contributors());
        }
        if (indices != null) {
            for (int i : indices) {
                b.addIndices(i);
            }
        }
        ByteBuffer out;
        if (deltaFormat == NumberFormat.S16) {
            float max = 0f;
            for (int k = 0; k < n; k++) {
                max = Math.max(max, Math.abs(d[indices == null ? k : indices[k]]));
            }
            int frac = deltaFrac(max);
            b.setDeltaFrac(frac);
            out = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < n; k++) {
                out.putShort(FixedPoint.quantize(d[indices == null ? k : indices[k]], frac));
            }
        } else {
            out = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < n; k++) {
                out.putFloat(d[indices == null ? k : indices[k]]);
            }
        }
        return b.setDelta(ByteString.copyFrom(out.array())).build().toByteArray();
    }

    /**
     * Encodes an update whose delta was compressed on the device ({@link io.tinyfed.core.DeltaCompressor}): the values of
     * {@code sent} as S8, their positions as gaps (omitted when every value is sent), the rest of {@code u} as usual.
     * {@code u.delta()} is not read: {@code sent} is what travels.
     *
     * @throws IllegalArgumentException if {@code sent} is for another parameter count than {@code u}
     */
    public static byte[] encode(ModelUpdate u, io.tinyfed.core.SparseDelta sent) {
        if (sent.parameterCount() != u.parameterCount()) {
            throw new IllegalArgumentException("compressed delta of " + sent.parameterCount() + " values for an update of "
                    + u.parameterCount());
        }
        Wire.ModelUpdate.Builder b = Wire.ModelUpdate.newBuilder().setRound(u.round()).setDeviceId(u.deviceId())
                .setModelId(u.modelId()).setBaseVersion(u.baseVersion()).setParameterCount(sent.parameterCount())
                .setDeltaFormat(Wire.NumberFormat.S8).setSampleCount(u.sampleCount()).setLossBefore(u.lossBefore())
                .setLossAfter(u.lossAfter()).setSentAtMs(System.currentTimeMillis())
                .setBlockFrac(ByteString.copyFrom(sent.blockFrac())).setDelta(ByteString.copyFrom(sent.values()));
        if (u.contributors() > 1) {
            b.setContributors(u.contributors());
        }
        return b.addAllIndexGaps(indexGaps(sent)).build().toByteArray();
    }

    /**
     * The positions of {@code sent}'s values as gaps (the first position, then each minus the one before minus one), or
     * none when every value is sent; {@link #positions} reads them back.
     */
    private static List<Integer> indexGaps(io.tinyfed.core.SparseDelta sent) {
        int[] indices = sent.indices();
        if (indices.length == sent.parameterCount()) {
            return List.of();
        }
        List<Integer> gaps = new ArrayList<>(indices.length);
        int previous = -1;
        for (int i : indices) {
            gaps.add(i - previous - 1);
            previous = i;
        }
        return gaps;
    }

    /** One scale per block of {@code n} S8 values, each within the range {@link io.tinyfed.core.SparseDelta} allows. */
    private static void requireBlockScales(byte[] blockFrac, int n, String what) throws ProtocolException {
        if (blockFrac.length != io.tinyfed.core.SparseDelta.blocks(n)) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, what + " has " + blockFrac.length + " block scales, "
                    + n + " S8 values need " + io.tinyfed.core.SparseDelta.blocks(n));
        }
        for (byte f : blockFrac) {
            if (f < io.tinyfed.core.SparseDelta.MIN_FRAC || f > io.tinyfed.core.SparseDelta.MAX_FRAC) {
                throw new ProtocolException(RejectReason.INVALID_FIELD, what + " block scale " + f + " outside ["
                        + io.tinyfed.core.SparseDelta.MIN_FRAC + ", " + io.tinyfed.core.SparseDelta.MAX_FRAC + "]");
            }
        }
    }

    /** The positions of S8 values: their gaps when given, else every position of {@code count}. */
    private static int[] positions(List<Integer> gaps, int count, String what) throws ProtocolException {
        if (gaps.isEmpty()) {
            int[] all = new int[count];
            for (int i = 0; i < count; i++) {
                all[i] = i;
            }
            return all;
        }
        if (gaps.size() > count) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, what + " sends " + gaps.size() + " values of " + count);
        }
        int[] out = new int[gaps.size()];
        long previous = -1;
        for (int k = 0; k < out.length; k++) {
            long index = previous + 1 + Integer.toUnsignedLong(gaps.get(k));
            if (index >= count) {
                throw new ProtocolException(RejectReason.WRONG_SHAPE, what + " index " + index + " at position " + k
                        + " is not increasing within [0, " + count + ")");
            }
            out[k] = (int) index;
            previous = index;
        }
        return out;
    }

    // ---------------------------------------------------------------- snapshot delta

    /** A snapshot delta as published on the model's delta topic. */
    public static byte[] encode(SnapshotDelta d) {
        io.tinyfed.core.SparseDelta delta = d.delta();
        Wire.SnapshotDelta.Builder b = Wire.SnapshotDelta.newBuilder().setModelId(d.modelId())
                .setFromVersion(d.fromVersion()).setToVersion(d.toVersion()).setParameterCount(delta.parameterCount())
                .setValues(ByteString.copyFrom(delta.values())).setBlockFrac(ByteString.copyFrom(delta.blockFrac()))
                .setKeyId(d.keyId()).setSignature(ByteString.copyFrom(d.signature()))
                .setCreatedAtMs(d.createdAt().toEpochMilli());
        return b.addAllIndexGaps(indexGaps(delta)).build().toByteArray();
    }

    /**
     * A snapshot delta, its shape checked; its signature is checked on the snapshot it rebuilds
     * ({@link SnapshotDelta#applyTo}, then {@link SnapshotVerifier#verify}).
     *
     * @throws ProtocolException if it is too large, malformed, not from one version to the next, or its values,
     *                           scales or positions are out of shape or range
     */
    public static SnapshotDelta decodeSnapshotDelta(byte[] bytes) throws ProtocolException {
        Wire.SnapshotDelta m = parse(bytes, Limits.SNAPSHOT_DELTA_BYTES, "snapshot delta", Wire.SnapshotDelta.parser());
        int count = m.getParameterCount();
        if (count < 1 || count > Limits.MAX_PARAMETERS) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, "snapshot delta parameter count " + count
                    + " outside [1, " + Limits.MAX_PARAMETERS + "]");
        }
        if (m.getFromVersion() < 1 || m.getToVersion() != m.getFromVersion() + 1) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "snapshot delta from v" + m.getFromVersion()
                    + " to v" + m.getToVersion() + " is not from one version to the next");
        }
        int[] indices = positions(m.getIndexGapsList(), count, "snapshot delta");
        byte[] values = m.getValues().toByteArray();
        if (values.length != indices.length) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, "snapshot delta has " + values.length + " values for "
                    + indices.length + " positions");
        }
        byte[] blockFrac = m.getBlockFrac().toByteArray();
        requireBlockScales(blockFrac, values.length, "snapshot delta");
        return new SnapshotDelta(Limits.requireId(m.getModelId(), "model id"), m.getFromVersion(), m.getToVersion(),
                new io.tinyfed.core.SparseDelta(count, indices, values, blockFrac),
                Limits.requireId(m.getKeyId(), "key id"), m.getSignature().toByteArray(),
                Instant.ofEpochMilli(m.getCreatedAtMs()));
    }

    /** Largest f in [0, MAX_DELTA_FRAC] with {@code max * 2^f <= 32767}. */
    static int deltaFrac(float max) {
        int f = MAX_DELTA_FRAC;
        while (f > 0 && max * Math.scalb(1.0, f) > Short.MAX_VALUE) {
            f--;
        }
        return f;
    }

    /**
     * An update as the coordinator uses it: dense, in real values, whatever form it travelled in (F32, S16 or S8;
     * dense, with {@code indices} or with {@code index_gaps}).
     *
     * @throws ProtocolException with the reason when it is too large, malformed, of an impossible shape, has a scale out
     *                           of range, positions out of order or range, or a non-finite value
     */
    public static ModelUpdate decodeUpdate(byte[] bytes) throws ProtocolException {
        Wire.ModelUpdate m = parse(bytes, Limits.UPDATE_BYTES, "update", Wire.ModelUpdate.parser());
        int count = m.getParameterCount();
        if (count < 1 || count > Limits.MAX_PARAMETERS) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, "update parameter count " + count + " outside [1, "
                    + Limits.MAX_PARAMETERS + "]");
        }
        boolean s8 = m.getDeltaFormat() == Wire.NumberFormat.S8;
        NumberFormat format = s8 ? null : fromWire(m.getDeltaFormat(), "update delta format");
        int bytesPerValue = s8 ? 1 : format.bytesPerElement();
        if (m.getIndicesCount() > 0 && m.getIndexGapsCount() > 0) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "update gives both indices and index gaps");
        }
        boolean gaps = m.getIndexGapsCount() > 0;
        boolean sparse = gaps || m.getIndicesCount() > 0;
        int n = gaps ? m.getIndexGapsCount() : sparse ? m.getIndicesCount() : count;
        if (n > count) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, "update sends " + n + " values of " + count);
        }
        ByteBuffer values = m.getDelta().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (values.remaining() != (long) n * bytesPerValue) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, "update delta is " + values.remaining() + " bytes, "
                    + n + " " + (s8 ? "S8" : format) + " values need " + (long) n * bytesPerValue);
        }
        if (!s8 && format == NumberFormat.S16 && m.getDeltaFrac() > MAX_DELTA_FRAC) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "update delta scale " + m.getDeltaFrac()
                    + " exceeds " + MAX_DELTA_FRAC);
        }
        byte[] blockFrac = m.getBlockFrac().toByteArray();
        if (s8) {
            requireBlockScales(blockFrac, n, "update");
        } else if (blockFrac.length > 0) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "update block scales are for S8 values only");
        }
        float[] delta = new float[count];
        float scale = (float) Math.scalb(1.0, -m.getDeltaFrac());
        int[] gapPositions = gaps ? positions(m.getIndexGapsList(), count, "update") : null;
        long previous = -1;
        for (int k = 0; k < n; k++) {
            long index = k;
            if (gaps) {
                index = gapPositions[k];
            } else if (sparse) {
                index = m.getIndices(k);
                if (index <= previous || index >= count) {
                    throw new ProtocolException(RejectReason.WRONG_SHAPE, "update index " + index + " at position " + k
                            + " is not increasing within [0, " + count + ")");
                }
                previous = index;
            }
            float v = s8 ? (float) Math.scalb((double) values.get(), -blockFrac[k / io.tinyfed.core.SparseDelta.BLOCK])
                    : format == NumberFormat.S16 ? values.getShort() * scale : values.getFloat();
            if (!Float.isFinite(v)) {
                throw new ProtocolException(RejectReason.NON_FINITE, "update delta value " + index + " is " + v);
            }
            delta[(int) index] = v;
        }
        if (m.getSampleCount() < 1) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "update sample count must be positive");
        }
        if (!Float.isFinite(m.getLossBefore()) || !Float.isFinite(m.getLossAfter())) {
            throw new ProtocolException(RejectReason.NON_FINITE, "update losses " + m.getLossBefore() + " / "
                    + m.getLossAfter());
        }
        if (Integer.toUnsignedLong(m.getContributors()) > m.getSampleCount()) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "update sums " + Integer.toUnsignedString(
                    m.getContributors()) + " device updates but only " + m.getSampleCount() + " samples");
        }
        return new ModelUpdate(m.getRound(), Limits.requireId(m.getDeviceId(), "device id"),
                Limits.requireId(m.getModelId(), "model id"), m.getBaseVersion(), delta, m.getSampleCount(),
                m.getLossBefore(), m.getLossAfter(), Math.max(1, m.getContributors()));
    }

    // ---------------------------------------------------------------- metrics and reject

    public static byte[] encode(Prediction p) {
        Wire.Prediction.Builder b = Wire.Prediction.newBuilder().setDeviceId(p.deviceId()).setModelId(p.modelId())
                .setVersion(p.version()).setSample(p.sample()).setAtMs(p.atMs());
        for (float v : p.output()) {
            b.addOutput(v);
        }
        return b.build().toByteArray();
    }

    /** @throws ProtocolException if it is too large, malformed, has invalid ids, too many outputs or a non-finite one */
    public static Prediction decodePrediction(byte[] bytes) throws ProtocolException {
        Wire.Prediction m = parse(bytes, Limits.PREDICTION_BYTES, "prediction", Wire.Prediction.parser());
        if (m.getOutputCount() == 0 || m.getOutputCount() > Limits.MAX_PREDICTION_OUTPUTS) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "prediction with " + m.getOutputCount()
                    + " outputs (1 to " + Limits.MAX_PREDICTION_OUTPUTS + ")");
        }
        float[] out = new float[m.getOutputCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = m.getOutput(i);
            if (!Float.isFinite(out[i])) {
                throw new ProtocolException(RejectReason.NON_FINITE, "prediction output " + i + " is " + out[i]);
            }
        }
        return new Prediction(Limits.requireId(m.getDeviceId(), "device id"), Limits.requireId(m.getModelId(), "model id"),
                m.getVersion(), m.getSample(), out, m.getAtMs());
    }

    public static byte[] encode(DeviceMetrics d) {
        return Wire.DeviceMetrics.newBuilder().setDeviceId(d.deviceId()).setSamplesSeen(d.samplesSeen())
                .setPrequentialLoss(d.prequentialLoss()).setPrequentialAccuracy(d.prequentialAccuracy())
                .setSaturations(d.saturations()).setArenaBytes(d.arenaBytes()).setSentAtMs(System.currentTimeMillis())
                .build().toByteArray();
    }

    public static DeviceMetrics decodeMetrics(byte[] bytes) throws ProtocolException {
        Wire.DeviceMetrics m = parse(bytes, Limits.METRICS_BYTES, "metrics", Wire.DeviceMetrics.parser());
        if (m.getSamplesSeen() < 0 || m.getSaturations() < 0 || m.getArenaBytes() < 0) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "metrics counters must not be negative");
        }
        return new DeviceMetrics(Limits.requireId(m.getDeviceId(), "device id"), m.getSamplesSeen(),
                m.getPrequentialLoss(), m.getPrequentialAccuracy(), m.getSaturations(), m.getArenaBytes());
    }

    /** {@code r}, its detail cut to 512 characters, signed by {@code signer}. */
    public static byte[] encode(Reject r, SnapshotSigner signer) {
        Reject sent = r.detail().length() > 512 ? new Reject(r.reason(), r.detail().substring(0, 512), r.round(),
                r.deviceId()) : r;
        return Wire.Reject.newBuilder().setReason(Wire.Reject.Reason.valueOf(sent.reason().name()))
                .setDetail(sent.detail()).setRound(sent.round()).setDeviceId(sent.deviceId()).setKeyId(signer.keyId())
                .setSignature(ByteString.copyFrom(signer.signReject(sent))).build().toByteArray();
    }

    /** A reject, refused unless a trusted coordinator key signed it ({@link RejectReason#BAD_SIGNATURE}). */
    public static Reject decodeReject(byte[] bytes, SnapshotVerifier verifier) throws ProtocolException {
        Wire.Reject m = parse(bytes, Limits.REJECT_BYTES, "reject", Wire.Reject.parser());
        if (m.getReason() == Wire.Reject.Reason.REASON_UNSPECIFIED || m.getReason() == Wire.Reject.Reason.UNRECOGNIZED) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, "reject without a known reason");
        }
        Reject r = new Reject(RejectReason.valueOf(m.getReason().name()), m.getDetail(), m.getRound(),
                Limits.requireId(m.getDeviceId(), "device id"));
        verifier.verifyReject(r, m.getKeyId(), m.getSignature().toByteArray());
        return r;
    }

    // ---------------------------------------------------------------- helpers

    /** Size check before parsing, then protobuf parsing; either failure is a counted reason. */
    private static <T> T parse(byte[] bytes, int limit, String what, Parser<T> parser) throws ProtocolException {
        checkSize(bytes, limit, what);
        try {
            return parser.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolException(RejectReason.MALFORMED, what + " is not a valid tinyfed.v1 message: "
                    + e.getMessage());
        }
    }

    private static void checkSize(byte[] bytes, int limit, String what) throws ProtocolException {
        if (bytes == null) {
            throw new ProtocolException(RejectReason.MALFORMED, what + " payload is missing");
        }
        if (bytes.length > limit) {
            throw new ProtocolException(RejectReason.OVERSIZE, what + " payload is " + bytes.length + " B, limit "
                    + limit + " B");
        }
    }

    private static String bounded(String s, String what) throws ProtocolException {
        return bounded(s, 128, what);
    }

    private static String bounded(String s, int max, String what) throws ProtocolException {
        if (s.length() > max) {
            throw new ProtocolException(RejectReason.INVALID_FIELD, what + " is longer than " + max + " characters");
        }
        return s;
    }

    private static int[] toIntArray(List<Integer> values) {
        int[] out = new int[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    static Wire.NumberFormat toWire(NumberFormat f) {
        return f == NumberFormat.F32 ? Wire.NumberFormat.F32 : Wire.NumberFormat.S16;
    }

    static NumberFormat fromWire(Wire.NumberFormat f, String what) throws ProtocolException {
        return switch (f) {
            case F32 -> NumberFormat.F32;
            case S16 -> NumberFormat.S16;
            default -> throw new ProtocolException(RejectReason.INVALID_FIELD, what + " is " + f);
        };
    }

    private static Wire.Layer toWire(Layer l) {
        Wire.Layer.Builder b = Wire.Layer.newBuilder();
        if (l instanceof Layer.Dense d) {
            return b.setKind(Wire.Layer.Kind.DENSE).addDims(d.in()).addDims(d.out()).build();
        }
        if (l instanceof Layer.Conv1D c) {
            return b.setKind(Wire.Layer.Kind.CONV1D).addDims(c.length()).addDims(c.inChannels()).addDims(c.filters())
                    .addDims(c.kernel()).build();
        }
        Layer.Activation a = (Layer.Activation) l;
        Wire.Layer.Kind kind = switch (a.kind()) {
            case RELU -> Wire.Layer.Kind.RELU;
            case TANH -> Wire.Layer.Kind.TANH;
            case SIGMOID -> Wire.Layer.Kind.SIGMOID;
            case SOFTMAX -> Wire.Layer.Kind.SOFTMAX;
        };
        return b.setKind(kind).addDims(a.size()).build();
    }

    private static Layer fromWire(Wire.Layer l) throws ProtocolException {
        List<Integer> d = l.getDimsList();
        int expected = switch (l.getKind()) {
            case DENSE -> 2;
            case CONV1D -> 4;
            case RELU, TANH, SIGMOID, SOFTMAX -> 1;
            default -> throw new ProtocolException(RejectReason.INVALID_FIELD, "layer kind " + l.getKind());
        };
        if (d.size() != expected) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, l.getKind() + " layer has " + d.size()
                    + " dimensions, expected " + expected);
        }
        for (int v : d) {
            if (v < 1 || v > (1 << 20)) {
                throw new ProtocolException(RejectReason.WRONG_SHAPE, l.getKind() + " dimension " + Integer.toUnsignedString(v)
                        + " outside [1, 2^20]");
            }
        }
        try {
            return switch (l.getKind()) {
                case DENSE -> new Layer.Dense(d.get(0), d.get(1));
                case CONV1D -> new Layer.Conv1D(d.get(0), d.get(1), d.get(2), d.get(3));
                case RELU -> new Layer.Activation(Layer.Kind.RELU, d.get(0));
                case TANH -> new Layer.Activation(Layer.Kind.TANH, d.get(0));
                case SIGMOID -> new Layer.Activation(Layer.Kind.SIGMOID, d.get(0));
                default -> new Layer.Activation(Layer.Kind.SOFTMAX, d.get(0));
            };
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(RejectReason.WRONG_SHAPE, e.getMessage());
        }
    }
}
