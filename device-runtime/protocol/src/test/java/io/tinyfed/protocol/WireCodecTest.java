package io.tinyfed.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.Quantizer;
import io.tinyfed.protocol.internal.wire.Wire;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.Test;

class WireCodecTest {
    private static final Architecture SINE = Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1);
    private static final java.security.KeyPair KEYS = SnapshotSigner.generateKeyPair();
    private static final SnapshotSigner SIGNER = new SnapshotSigner("k1", KEYS.getPrivate());
    private static final SnapshotVerifier VERIFIER = new SnapshotVerifier(java.util.Map.of("k1", KEYS.getPublic()));

    private static void assertRejected(ThrowableAssert.ThrowingCallable call, RejectReason reason, String detail) {
        assertThatThrownBy(call).isInstanceOf(ProtocolException.class)
                .hasMessageContaining(detail)
                .extracting(e -> ((ProtocolException) e).reason()).isEqualTo(reason);
    }

    private static DeviceHello hello() {
        return new DeviceHello("dev-1", "fleet-a", 262_144, 1_048_576, "cortex-m4", 80,
                EnumSet.of(NumberFormat.S16), List.of("temperature", "humidity"), "0.1.0", "fw-2", "gw-7", 64);
    }

    private static float[] delta(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (r.nextGaussian() * 0.01);
        }
        return d;
    }

    @Test
    void hello_roundTrips() throws Exception {
        assertThat(WireCodec.decodeHello(WireCodec.encode(hello()))).isEqualTo(hello());
        DeviceHello direct = new DeviceHello("gw-1", "fleet-a", 1L << 30, 0, "x86_64", 2000,
                Set.of(NumberFormat.F32, NumberFormat.S16), List.of(), "0.1.0", "", null);
        assertThat(WireCodec.decodeHello(WireCodec.encode(direct))).isEqualTo(direct);
    }

    @Test
    void hello_withBadIdentityOrCapabilities_isRejected() {
        assertRejected(() -> WireCodec.decodeHello(WireCodec.encode(new DeviceHello("dev/1", "fleet-a", 1, 1, "m4", 1,
                Set.of(NumberFormat.S16), List.of(), "", "", null))), RejectReason.INVALID_FIELD, "device id 'dev/1'");
        assertRejected(() -> WireCodec.decodeHello(WireCodec.encode(new DeviceHello("dev-1", "fleet-a", 1, 1, "m4", 1,
                Set.of(), List.of(), "", "", null))), RejectReason.INVALID_FIELD, "0 number formats");
        assertRejected(() -> WireCodec.decodeHello(WireCodec.encode(new DeviceHello("dev-1", "fleet-a", 0, 1, "m4", 1,
                Set.of(NumberFormat.S16), List.of(), "", "", null))), RejectReason.INVALID_FIELD, "RAM must be positive");
        assertRejected(() -> WireCodec.decodeHello(WireCodec.encode(new DeviceHello("dev-1", "fleet-a", 1, 1, "m4", 1,
                Set.of(NumberFormat.S16), List.of(), "", "", null, -1))), RejectReason.INVALID_FIELD, "sample capacity");
    }

    @Test
    void prediction_roundTrips_andNonFiniteEmptyTooManyOrBadIdsAreRejected() throws Exception {
        Prediction p = new Prediction("dev-1", "sine", 7, 42, new float[] {0.25f, -1f}, 1_000L);
        Prediction back = WireCodec.decodePrediction(WireCodec.encode(p));
        assertThat(back.output()).containsExactly(0.25f, -1f);
        assertThat(back).usingRecursiveComparison().isEqualTo(p);

        assertRejected(() -> WireCodec.decodePrediction(WireCodec.encode(new Prediction("dev-1", "sine", 7, 1,
                new float[] {Float.NaN}, 0))), RejectReason.NON_FINITE, "output 0");
        assertRejected(() -> WireCodec.decodePrediction(WireCodec.encode(new Prediction("dev-1", "sine", 7, 1,
                new float[0], 0))), RejectReason.INVALID_FIELD, "0 outputs");
        assertRejected(() -> WireCodec.decodePrediction(WireCodec.encode(new Prediction("dev-1", "sine", 7, 1,
                new float[Limits.MAX_PREDICTION_OUTPUTS + 1], 0))), RejectReason.INVALID_FIELD, "4097 outputs");
        assertRejected(() -> WireCodec.decodePrediction(WireCodec.encode(new Prediction("dev/1", "sine", 7, 1,
                new float[] {1f}, 0))), RejectReason.INVALID_FIELD, "device id");
    }

    @Test
    void anyPayload_thatIsNotProtobuf_isMalformedAndOversizeIsCheckedFirst() {
        byte[] garbage = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01, 0x02};
        assertRejected(() -> WireCodec.decodeHello(garbage), RejectReason.MALFORMED, "not a valid tinyfed.v1 message");
        assertRejected(() -> WireCodec.decodeUpdate(garbage), RejectReason.MALFORMED, "update");
        assertRejected(() -> WireCodec.decodeSnapshot(garbage), RejectReason.MALFORMED, "snapshot");
        assertRejected(() -> WireCodec.decodeState(new byte[Limits.STATE_BYTES + 1]), RejectReason.OVERSIZE,
                "limit 256 B");
        assertRejected(() -> WireCodec.decodeUpdate(new byte[Limits.UPDATE_BYTES + 1]), RejectReason.OVERSIZE, "update");
        assertRejected(() -> WireCodec.decodeTask(null, "d1", VERIFIER), RejectReason.MALFORMED, "missing");
    }

    @Test
    void stateTaskMetricsReject_roundTrip() throws Exception {
        assertThat(WireCodec.decodeState(WireCodec.encode(new DeviceState("d1", false)))).isEqualTo(new DeviceState("d1", false));
        TrainTask task = new TrainTask(7, "sine", 12, 32, 0.02f, 10, Instant.ofEpochMilli(1_800_000_000_000L));
        assertThat(WireCodec.decodeTask(WireCodec.encode(task, "d1", SIGNER), "d1", VERIFIER)).isEqualTo(task);
        DeviceMetrics metrics = new DeviceMetrics("d1", 1000, 0.25, Double.NaN, 3, 4304);
        assertThat(WireCodec.decodeMetrics(WireCodec.encode(metrics))).isEqualTo(metrics);
        Reject reject = new Reject(RejectReason.DUPLICATE, "second update for round 7", 7, "d1");
        assertThat(WireCodec.decodeReject(WireCodec.encode(reject, SIGNER), VERIFIER)).isEqualTo(reject);
    }

    @Test
    void tasksAndRejects_thatAreUnsignedForgedOrForAnotherDevice_areRefused() {
        TrainTask task = new TrainTask(7, "sine", 12, 32, 0.02f, 10, Instant.ofEpochMilli(1_800_000_000_000L));
        byte[] unsigned = Wire.TrainTask.newBuilder().setRound(7).setModelId("sine").setModelVersion(12).setInnerSteps(32)
                .setLearningRate(0.02f).setBatchSize(10).setDeadlineMs(1_800_000_000_000L).setDeviceId("d1").build()
                .toByteArray();
        assertRejected(() -> WireCodec.decodeTask(unsigned, "d1", VERIFIER), RejectReason.BAD_SIGNATURE, "not signed");
        assertRejected(() -> WireCodec.decodeTask(WireCodec.encode(task, "d1", SIGNER), "d2", VERIFIER),
                RejectReason.IDENTITY_MISMATCH, "task for 'd1' received by d2");
        // a valid signature does not carry over to changed fields
        byte[] signed = WireCodec.encode(task, "d1", SIGNER);
        byte[] tampered;
        try {
            tampered = Wire.TrainTask.parseFrom(signed).toBuilder().setInnerSteps(100_000).build().toByteArray();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
        assertRejected(() -> WireCodec.decodeTask(tampered, "d1", VERIFIER), RejectReason.BAD_SIGNATURE,
                "does not match its signature");
        SnapshotSigner stranger = new SnapshotSigner("k1", SnapshotSigner.generateKeyPair().getPrivate());
        assertRejected(() -> WireCodec.decodeTask(WireCodec.encode(task, "d1", stranger), "d1", VERIFIER),
                RejectReason.BAD_SIGNATURE, "does not match");
        Reject reject = new Reject(RejectReason.NORM_BOUND, "too long", 7, "d1");
        byte[] unsignedReject = Wire.Reject.newBuilder().setReason(Wire.Reject.Reason.NORM_BOUND).setDetail("too long")
                .setRound(7).setDeviceId("d1").build().toByteArray();
        assertRejected(() -> WireCodec.decodeReject(unsignedReject, VERIFIER), RejectReason.BAD_SIGNATURE, "not signed");
        assertRejected(() -> WireCodec.decodeReject(WireCodec.encode(reject, stranger), VERIFIER),
                RejectReason.BAD_SIGNATURE, "does not match");
    }

    @Test
    void aSignedTask_beyondTheDevicesBounds_isRefusedByTheDevice() {
        long now = 1_800_000_000_000L;
        assertRejected(() -> new TrainTask(1, "sine", 1, 100_000, 0.02f, 10, Instant.ofEpochMilli(now + 1000))
                .requireWithinDeviceBounds(now), RejectReason.INVALID_FIELD, "asks for 100000 steps");
        assertRejected(() -> new TrainTask(1, "sine", 1, 10, 0.02f, 10_000, Instant.ofEpochMilli(now + 1000))
                .requireWithinDeviceBounds(now), RejectReason.INVALID_FIELD, "batch 10000");
        assertRejected(() -> new TrainTask(1, "sine", 1, 10, 0.02f, 10, Instant.ofEpochMilli(now + 86_400_000L))
                .requireWithinDeviceBounds(now), RejectReason.INVALID_FIELD, "minutes ahead");
    }

    @Test
    void task_withNonsenseHyperparameters_isRejected() {
        assertRejected(() -> WireCodec.decodeTask(WireCodec.encode(new TrainTask(1, "sine", 1, 0, 0.02f, 10,
                Instant.EPOCH), "d1", SIGNER), "d1", VERIFIER), RejectReason.INVALID_FIELD, "inner steps 0");
        assertRejected(() -> WireCodec.decodeTask(WireCodec.encode(new TrainTask(1, "sine", 1, 5, Float.NaN, 10,
                Instant.EPOCH), "d1", SIGNER), "d1", VERIFIER), RejectReason.NON_FINITE, "learning rate NaN");
    }

    @Test
    void snapshot_roundTripsBothFormatsExactly() throws Exception {
        Model f32 = Model.initialize(SINE, 3);
        Model s16 = Quantizer.toS16(f32, List.of(new float[] {5f}, new float[] {-5f}));
        for (Model m : List.of(f32, s16)) {
            ModelSnapshot s = new ModelSnapshot("sine", 4, m, "k1", new byte[] {1, 2, 3}, Instant.ofEpochMilli(99));
            ModelSnapshot back = WireCodec.decodeSnapshot(WireCodec.encode(s));
            assertThat(back.model()).isEqualTo(m);
            assertThat(back.version()).isEqualTo(4);
            assertThat(back.signature()).containsExactly(1, 2, 3);
            assertThat(back.createdAt()).isEqualTo(Instant.ofEpochMilli(99));
        }
    }

    @Test
    void snapshot_withWrongShapeOrNaN_isRejected() throws Exception {
        byte[] good = WireCodec.encode(new ModelSnapshot("sine", 1, Model.initialize(SINE, 1), "k1", new byte[0],
                Instant.EPOCH));
        Wire.ModelSnapshot m = Wire.ModelSnapshot.parseFrom(good);
        byte[] shortParams = m.toBuilder().setParameters(m.getParameters().substring(4)).build().toByteArray();
        assertRejected(() -> WireCodec.decodeSnapshot(shortParams), RejectReason.WRONG_SHAPE, "bytes, the architecture needs");
        byte[] brokenChain = m.toBuilder().setLayers(1, Wire.Layer.newBuilder().setKind(Wire.Layer.Kind.RELU).addDims(7))
                .build().toByteArray();
        assertRejected(() -> WireCodec.decodeSnapshot(brokenChain), RejectReason.WRONG_SHAPE, "expects 7 inputs");
        byte[] params = m.getParameters().toByteArray();
        java.nio.ByteBuffer.wrap(params).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(8, Float.NaN);
        byte[] nan = m.toBuilder().setParameters(com.google.protobuf.ByteString.copyFrom(params)).build().toByteArray();
        assertRejected(() -> WireCodec.decodeSnapshot(nan), RejectReason.NON_FINITE, "parameter 2");
    }

    @Test
    void update_f32RoundTripsExactly() throws Exception {
        float[] d = delta(1761, 1);
        ModelUpdate u = new ModelUpdate(3, "dev-1", "sine", 2, d, 10, 1.5f, 0.25f);
        ModelUpdate back = WireCodec.decodeUpdate(WireCodec.encode(u, NumberFormat.F32, 0));
        assertThat(back.delta()).containsExactly(d);
        assertThat(back).usingRecursiveComparison().ignoringFields("delta").isEqualTo(u);
    }

    @Test
    void update_s16HalvesTheBytesWithinHalfAnLsbOfTheBlockScale() throws Exception {
        float[] d = delta(1761, 2);
        ModelUpdate u = new ModelUpdate(3, "dev-1", "sine", 2, d, 10, 1.5f, 0.25f);
        byte[] s16 = WireCodec.encode(u, NumberFormat.S16, 0);
        byte[] f32 = WireCodec.encode(u, NumberFormat.F32, 0);
        assertThat(s16.length).isLessThan(f32.length * 55 / 100);
        float[] back = WireCodec.decodeUpdate(s16).delta();
        float max = 0;
        for (float v : d) {
            max = Math.max(max, Math.abs(v));
        }
        float halfLsb = (float) Math.scalb(0.5, -WireCodec.deltaFrac(max));
        for (int i = 0; i < d.length; i++) {
            assertThat(back[i]).isCloseTo(d[i], within(halfLsb * 1.0001f));
        }
    }

    @Test
    void update_topKKeepsTheLargestMagnitudesOnly() throws Exception {
        float[] d = {0.1f, -5f, 0.2f, 3f, -0.05f, 4f};
        ModelUpdate u = new ModelUpdate(1, "dev-1", "sine", 0, d, 10, 1f, 0.5f);
        float[] back = WireCodec.decodeUpdate(WireCodec.encode(u, NumberFormat.F32, 3)).delta();
        assertThat(back).containsExactly(0f, -5f, 0f, 3f, 0f, 4f);
    }

    @Test
    void update_withBadContent_isRejectedWithItsReason() throws Exception {
        ModelUpdate good = new ModelUpdate(1, "dev-1", "sine", 0, delta(10, 3), 10, 1f, 0.5f);
        Wire.ModelUpdate m = Wire.ModelUpdate.parseFrom(WireCodec.encode(good, NumberFormat.F32, 0));

        float[] nan = delta(10, 3);
        nan[4] = Float.NaN;
        assertRejected(() -> WireCodec.decodeUpdate(WireCodec.encode(new ModelUpdate(1, "dev-1", "sine", 0, nan, 10, 1f,
                0.5f), NumberFormat.F32, 0)), RejectReason.NON_FINITE, "delta value 4 is NaN");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setParameterCount(11).build().toByteArray()),
                RejectReason.WRONG_SHAPE, "40 bytes, 11 F32 values need 44");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setParameterCount(0).build().toByteArray()),
                RejectReason.WRONG_SHAPE, "parameter count 0");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().addAllIndices(List.of(3, 2, 5, 6, 7, 8, 9, 0, 1, 4))
                .setParameterCount(20).build().toByteArray()), RejectReason.WRONG_SHAPE, "not increasing");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setSampleCount(0).build().toByteArray()),
                RejectReason.INVALID_FIELD, "sample count");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setLossAfter(Float.POSITIVE_INFINITY).build()
                .toByteArray()), RejectReason.NON_FINITE, "losses");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setDeltaFormat(Wire.NumberFormat.NUMBER_FORMAT_UNSPECIFIED)
                .build().toByteArray()), RejectReason.INVALID_FIELD, "delta format");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setDeviceId("").build().toByteArray()),
                RejectReason.INVALID_FIELD, "device id ''");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setContributors(11).build().toByteArray()),
                RejectReason.INVALID_FIELD, "sums 11 device updates but only 10 samples");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setContributors(-1).build().toByteArray()),
                RejectReason.INVALID_FIELD, "sums 4294967295 device updates");
    }

    @Test
    void update_fromAGateway_carriesItsContributorCount() throws Exception {
        ModelUpdate fromGateway = new ModelUpdate(3, "gw-01", "sine", 2, delta(10, 4), 400, 1.5f, 0.25f, 40);
        ModelUpdate fromDevice = new ModelUpdate(3, "dev-1", "sine", 2, delta(10, 4), 10, 1.5f, 0.25f);

        assertThat(WireCodec.decodeUpdate(WireCodec.encode(fromGateway, NumberFormat.S16, 0)).contributors()).isEqualTo(40);
        assertThat(WireCodec.decodeUpdate(WireCodec.encode(fromDevice, NumberFormat.F32, 0)).contributors()).isEqualTo(1);
        assertThat(Wire.ModelUpdate.parseFrom(WireCodec.encode(fromDevice, NumberFormat.F32, 0)).getContributors()).isZero();
    }

    @Test
    void update_compressedOnTheDevice_travelsAsS8WithGapsAndDecodesToWhatWasSent() throws Exception {
        float[] d = delta(1761, 5);
        io.tinyfed.core.SparseDelta sent = new io.tinyfed.core.DeltaCompressor(1761, NumberFormat.S16, true)
                .compress(d, 0.1);
        ModelUpdate u = new ModelUpdate(3, "sim-00001", "sine", 2, sent.toDense(), 10, 1.5f, 0.25f);

        byte[] bytes = WireCodec.encode(u, sent);
        ModelUpdate back = WireCodec.decodeUpdate(bytes);

        assertThat(back.delta()).containsExactly(sent.toDense());
        assertThat(Wire.ModelUpdate.parseFrom(bytes).getIndicesCount()).isZero();
        assertThat(Wire.ModelUpdate.parseFrom(bytes).getIndexGapsCount()).isEqualTo(176);
        // 176 int8 values, 176 one-byte gaps (mostly), 6 block scales and the header: under 1/8 of dense S16 (3,522 B).
        assertThat(bytes.length).isLessThanOrEqualTo(WireCodec.encode(u, NumberFormat.S16, 0).length / 8);
    }

    @Test
    void update_compressedWithEveryValue_sendsNoPositions() throws Exception {
        io.tinyfed.core.SparseDelta sent = new io.tinyfed.core.DeltaCompressor(40, NumberFormat.F32, false)
                .compress(delta(40, 6), 1.0);
        byte[] bytes = WireCodec.encode(new ModelUpdate(1, "dev-1", "sine", 0, sent.toDense(), 10, 1f, 0.5f), sent);

        assertThat(Wire.ModelUpdate.parseFrom(bytes).getIndexGapsCount()).isZero();
        assertThat(WireCodec.decodeUpdate(bytes).delta()).containsExactly(sent.toDense());
    }

    @Test
    void update_s8WithBadScalesOrPositions_isRejectedWithItsReason() throws Exception {
        io.tinyfed.core.SparseDelta sent = new io.tinyfed.core.DeltaCompressor(100, NumberFormat.F32, false)
                .compress(delta(100, 7), 0.4);
        Wire.ModelUpdate m = Wire.ModelUpdate.parseFrom(WireCodec.encode(new ModelUpdate(1, "dev-1", "sine", 0,
                sent.toDense(), 10, 1f, 0.5f), sent));

        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setBlockFrac(com.google.protobuf.ByteString.copyFrom(
                new byte[] {3})).build().toByteArray()), RejectReason.WRONG_SHAPE, "1 block scales, 40 S8 values need 2");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setBlockFrac(com.google.protobuf.ByteString.copyFrom(
                new byte[] {3, 41})).build().toByteArray()), RejectReason.INVALID_FIELD, "block scale 41 outside");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setIndexGaps(39, 60).build().toByteArray()),
                RejectReason.WRONG_SHAPE, "not increasing within [0, 100)");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setIndexGaps(0, -1).build().toByteArray()),
                RejectReason.WRONG_SHAPE, "not increasing within [0, 100)");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().addIndices(1).build().toByteArray()),
                RejectReason.INVALID_FIELD, "both indices and index gaps");
        assertRejected(() -> WireCodec.decodeUpdate(m.toBuilder().setDeltaFormat(Wire.NumberFormat.F32).clearIndexGaps()
                .setParameterCount(10).setDelta(com.google.protobuf.ByteString.copyFrom(new byte[40])).build()
                .toByteArray()), RejectReason.INVALID_FIELD, "block scales are for S8 values only");
    }

    @Test
    void hello_claimingS8_isRejected() throws Exception {
        Wire.DeviceHello m = Wire.DeviceHello.parseFrom(WireCodec.encode(hello()));

        assertRejected(() -> WireCodec.decodeHello(m.toBuilder().setFormats(0, Wire.NumberFormat.S8).build().toByteArray()),
                RejectReason.INVALID_FIELD, "hello number format is S8");
    }

    @Test
    void task_carriesItsUplinkCompressionUnderTheSignature() throws Exception {
        TrainTask t = new TrainTask(4, "sine", 3, 32, 0.02f, 10, Instant.now().plusSeconds(60), 50);
        byte[] bytes = WireCodec.encode(t, "dev-1", SIGNER);

        assertThat(WireCodec.decodeTask(bytes, "dev-1", VERIFIER).uplinkPermille()).isEqualTo(50);
        Wire.TrainTask m = Wire.TrainTask.parseFrom(bytes);
        assertRejected(() -> WireCodec.decodeTask(m.toBuilder().setUplinkPermille(0).build().toByteArray(), "dev-1",
                VERIFIER), RejectReason.BAD_SIGNATURE, "");
        assertRejected(() -> WireCodec.decodeTask(m.toBuilder().setUplinkPermille(1001).build().toByteArray(), "dev-1",
                VERIFIER), RejectReason.INVALID_FIELD, "uplink per mille 1001");
    }

    @Test
    void snapshotDelta_rebuildsTheSignedNextVersionExactly() throws Exception {
        Model v1 = Model.initialize(SINE, 1);
        float[] theta = v1.toRealVector();
        float[] change = delta(theta.length, 8);
        io.tinyfed.core.SparseDelta sent = new io.tinyfed.core.DeltaCompressor(theta.length, NumberFormat.F32, true)
                .compress(change, 0.1);
        sent.addTo(theta);
        ModelSnapshot base = SIGNER.sign("sine", 1, v1, Instant.EPOCH);
        ModelSnapshot next = SIGNER.sign("sine", 2, v1.withRealParameters(theta), Instant.ofEpochMilli(5));

        byte[] bytes = WireCodec.encode(SnapshotDelta.between(base, next, sent));
        ModelSnapshot rebuilt = WireCodec.decodeSnapshotDelta(bytes).applyTo(base);

        VERIFIER.verify(rebuilt);
        assertThat(rebuilt.version()).isEqualTo(2);
        assertThat(rebuilt.createdAt()).isEqualTo(Instant.ofEpochMilli(5));
        assertThat(rebuilt.model().toRealVector()).containsExactly(next.model().toRealVector());
        assertThat(bytes.length).isLessThan(WireCodec.encode(next).length / 4);
    }

    @Test
    void snapshotDelta_onAnotherBaseOrForged_doesNotVerifyOrApply() throws Exception {
        Model v1 = Model.initialize(SINE, 1);
        io.tinyfed.core.SparseDelta sent = new io.tinyfed.core.DeltaCompressor(v1.parameterCount(), NumberFormat.F32, true)
                .compress(delta(v1.parameterCount(), 9), 0.1);
        float[] theta = v1.toRealVector();
        sent.addTo(theta);
        ModelSnapshot base = SIGNER.sign("sine", 1, v1, Instant.EPOCH);
        ModelSnapshot next = SIGNER.sign("sine", 2, v1.withRealParameters(theta), Instant.EPOCH);
        SnapshotDelta d = SnapshotDelta.between(base, next, sent);
        ModelSnapshot otherBase = SIGNER.sign("sine", 1, Model.initialize(SINE, 2), Instant.EPOCH);

        assertRejected(() -> VERIFIER.verify(d.applyTo(otherBase)), RejectReason.BAD_SIGNATURE, "");
        assertRejected(() -> d.applyTo(SIGNER.sign("sine", 3, v1, Instant.EPOCH)), RejectReason.STALE_BASE_VERSION,
                "from v1");
        Wire.SnapshotDelta m = Wire.SnapshotDelta.parseFrom(WireCodec.encode(d));
        byte[] values = m.getValues().toByteArray();
        values[0] ^= 1;
        assertRejected(() -> VERIFIER.verify(WireCodec.decodeSnapshotDelta(m.toBuilder().setValues(
                com.google.protobuf.ByteString.copyFrom(values)).build().toByteArray()).applyTo(base)),
                RejectReason.BAD_SIGNATURE, "");
    }

    @Test
    void snapshotDelta_outOfShape_isRejectedWithItsReason() throws Exception {
        Model v1 = Model.initialize(SINE, 1);
        io.tinyfed.core.SparseDelta sent = new io.tinyfed.core.DeltaCompressor(v1.parameterCount(), NumberFormat.F32, true)
                .compress(delta(v1.parameterCount(), 10), 0.1);
        ModelSnapshot base = SIGNER.sign("sine", 1, v1, Instant.EPOCH);
        Wire.SnapshotDelta m = Wire.SnapshotDelta.parseFrom(WireCodec.encode(SnapshotDelta.between(base,
                SIGNER.sign("sine", 2, v1, Instant.EPOCH), sent)));

        assertRejected(() -> WireCodec.decodeSnapshotDelta(m.toBuilder().setToVersion(5).build().toByteArray()),
                RejectReason.INVALID_FIELD, "from v1 to v5");
        assertRejected(() -> WireCodec.decodeSnapshotDelta(m.toBuilder().setIndexGaps(3, 5000).build().toByteArray()),
                RejectReason.WRONG_SHAPE, "not increasing within [0, 1761)");
        assertRejected(() -> WireCodec.decodeSnapshotDelta(m.toBuilder().setValues(com.google.protobuf.ByteString.copyFrom(
                new byte[3])).build().toByteArray()), RejectReason.WRONG_SHAPE, "3 values for 176 positions");
        assertRejected(() -> WireCodec.decodeSnapshotDelta(m.toBuilder().setBlockFrac(com.google.protobuf.ByteString
                .copyFrom(new byte[] {1, 2, 3, 4, 5, -17})).build().toByteArray()), RejectReason.INVALID_FIELD,
                "block scale -17 outside");
        assertRejected(() -> WireCodec.decodeSnapshotDelta(m.toBuilder().setParameterCount(0).build().toByteArray()),
                RejectReason.WRONG_SHAPE, "parameter count 0");
        assertRejected(() -> WireCodec.decodeSnapshotDelta(new byte[Limits.SNAPSHOT_DELTA_BYTES + 1]),
                RejectReason.OVERSIZE, "");
    }

    @Test
    void task_carriesItsPersonalLayersUnderTheSignature() throws Exception {
        TrainTask t = new TrainTask(4, "sine", 3, 32, 0.02f, 10, Instant.now().plusSeconds(60), 0, 1);
        byte[] bytes = WireCodec.encode(t, "dev-1", SIGNER);

        assertThat(WireCodec.decodeTask(bytes, "dev-1", VERIFIER).personalLayers()).isEqualTo(1);
        Wire.TrainTask m = Wire.TrainTask.parseFrom(bytes);
        assertRejected(() -> WireCodec.decodeTask(m.toBuilder().setPersonalLayers(0).build().toByteArray(), "dev-1",
                VERIFIER), RejectReason.BAD_SIGNATURE, "");
        assertRejected(() -> WireCodec.decodeTask(m.toBuilder().setPersonalLayers(65).build().toByteArray(), "dev-1",
                VERIFIER), RejectReason.INVALID_FIELD, "personal layers 65");
    }
}
