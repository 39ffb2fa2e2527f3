package io.tinyfed.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.ModelCodec;
import io.tinyfed.protocol.internal.wire.Wire;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.Test;

class DeployCodecTest {
    private static final KeyPair KEYS = SnapshotSigner.generateKeyPair();
    private static final SnapshotSigner SIGNER = new SnapshotSigner("k1", KEYS.getPrivate());
    private static final SnapshotVerifier VERIFIER = new SnapshotVerifier(Map.of("k1", KEYS.getPublic()));
    private static final Instant AT = Instant.parse("2026-12-02T10:00:00Z");

    private static Deploy install() {
        Model model = Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 7);
        return new Deploy("r-1", 2, Deploy.Action.INSTALL, SIGNER.sign("sine", 12, model, AT), 50, 5, 0.01f, AT);
    }

    private static void assertRejected(ThrowableAssert.ThrowingCallable call, RejectReason reason, String detail) {
        assertThatThrownBy(call).isInstanceOf(ProtocolException.class).hasMessageContaining(detail)
                .extracting(e -> ((ProtocolException) e).reason()).isEqualTo(reason);
    }

    private static byte[] tamper(byte[] deploy, java.util.function.UnaryOperator<Wire.Deploy.Builder> change) throws Exception {
        return change.apply(Wire.Deploy.parseFrom(deploy).toBuilder()).build().toByteArray();
    }

    @Test
    void install_andRollback_roundTripWithTheirSnapshot() throws Exception {
        Deploy expected = install();

        Deploy actual = WireCodec.decodeDeploy(WireCodec.encode(expected, "d1", SIGNER), "d1", VERIFIER);

        assertThat(actual.rolloutId()).isEqualTo("r-1");
        assertThat(actual.wave()).isEqualTo(2);
        assertThat(actual.action()).isEqualTo(Deploy.Action.INSTALL);
        assertThat(actual.shadowSamples()).isEqualTo(50);
        assertThat(actual.personaliseSteps()).isEqualTo(5);
        assertThat(actual.personaliseLearningRate()).isEqualTo(0.01f);
        assertThat(actual.issuedAt()).isEqualTo(AT);
        assertThat(actual.snapshot().version()).isEqualTo(12);
        assertThat(ModelCodec.encode(actual.snapshot().model())).isEqualTo(ModelCodec.encode(expected.snapshot().model()));
        Deploy rollback = Deploy.rollback("r-1", 0, AT);
        assertThat(WireCodec.decodeDeploy(WireCodec.encode(rollback, "d1", SIGNER), "d1", VERIFIER)).isEqualTo(rollback);
    }

    @Test
    void deploy_thatIsUnsignedTamperedOrForAnotherDevice_isRefused() throws Exception {
        byte[] signed = WireCodec.encode(install(), "d1", SIGNER);

        assertRejected(() -> WireCodec.decodeDeploy(signed, "d2", VERIFIER), RejectReason.IDENTITY_MISMATCH,
                "deploy for 'd1' received by d2");
        assertRejected(() -> WireCodec.decodeDeploy(tamper(signed, b -> b.clearSignature()), "d1", VERIFIER),
                RejectReason.BAD_SIGNATURE, "not signed");
        assertRejected(() -> WireCodec.decodeDeploy(tamper(signed, b -> b.setWave(0)), "d1", VERIFIER),
                RejectReason.BAD_SIGNATURE, "does not match its signature");
        assertRejected(() -> WireCodec.decodeDeploy(tamper(signed, b -> b.setAction(Wire.Deploy.Action.ROLLBACK)
                .clearSnapshot()), "d1", VERIFIER), RejectReason.BAD_SIGNATURE, "does not match its signature");
        // another version's correctly signed snapshot cannot be slipped under the deploy's signature
        Model other = Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 8);
        byte[] otherSnapshot = WireCodec.encode(SIGNER.sign("sine", 12, other, AT));
        assertRejected(() -> WireCodec.decodeDeploy(tamper(signed, b -> {
            try {
                return b.setSnapshot(Wire.ModelSnapshot.parseFrom(otherSnapshot));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }), "d1", VERIFIER), RejectReason.BAD_SIGNATURE, "does not match its signature");
        SnapshotSigner stranger = new SnapshotSigner("k1", SnapshotSigner.generateKeyPair().getPrivate());
        assertRejected(() -> WireCodec.decodeDeploy(WireCodec.encode(install(), "d1", stranger), "d1", VERIFIER),
                RejectReason.BAD_SIGNATURE, "does not match");
    }

    @Test
    void deploy_withBadFieldsOrBeyondTheDevicesBounds_isRefused() throws Exception {
        byte[] signed = WireCodec.encode(install(), "d1", SIGNER);

        assertRejected(() -> WireCodec.decodeDeploy(tamper(signed, b -> b.clearSnapshot()), "d1", VERIFIER),
                RejectReason.INVALID_FIELD, "an install carries a snapshot");
        assertRejected(() -> WireCodec.decodeDeploy(tamper(signed, b -> b.setPersonaliseLearningRate(Float.NaN)), "d1",
                VERIFIER), RejectReason.NON_FINITE, "learning rate NaN");
        assertRejected(() -> WireCodec.decodeDeploy(new byte[Limits.DEPLOY_BYTES + 1], "d1", VERIFIER),
                RejectReason.OVERSIZE, "deploy payload");
        Deploy endless = new Deploy("r-1", 0, Deploy.Action.INSTALL, install().snapshot(), Deploy.MAX_SHADOW_SAMPLES + 1,
                0, 0f, AT);
        assertRejected(endless::requireWithinDeviceBounds, RejectReason.INVALID_FIELD, "shadow samples");
    }

    @Test
    void deploymentStatus_roundTripsAndRefusesBadFigures() throws Exception {
        DeploymentStatus expected = new DeploymentStatus("d1", "r-1", 1, DeploymentStatus.State.SERVING, "sine", 12, 9,
                12, "", 50, 0.21, 0.25, true, io.tinyfed.core.NumberFormat.S16, 0.3);
        DeploymentStatus none = new DeploymentStatus("d1", "r-1", 0, DeploymentStatus.State.FAILED, "sine", -1, -1, 12,
                "needs 9000 B of RAM", 0, Double.NaN, Double.NaN, false, null);

        assertThat(WireCodec.decodeDeploymentStatus(WireCodec.encode(expected))).isEqualTo(expected);
        assertThat(WireCodec.decodeDeploymentStatus(WireCodec.encode(none))).isEqualTo(none);
        assertThat(expected.lossRatio()).isEqualTo(0.21 / 0.25);
        assertThat(none.lossRatio()).isNaN();
        byte[] negative = WireCodec.encode(new DeploymentStatus("d1", "r-1", 0, DeploymentStatus.State.SERVING, "sine",
                12, -1, 12, "", 5, -1.0, 0.2, false, null));
        assertRejected(() -> WireCodec.decodeDeploymentStatus(negative), RejectReason.INVALID_FIELD, "figures");
        byte[] unknown = Wire.DeploymentStatus.parseFrom(WireCodec.encode(expected)).toBuilder()
                .setState(Wire.DeploymentStatus.State.STATE_UNSPECIFIED).build().toByteArray();
        assertRejected(() -> WireCodec.decodeDeploymentStatus(unknown), RejectReason.INVALID_FIELD, "deployment state");
    }
}
