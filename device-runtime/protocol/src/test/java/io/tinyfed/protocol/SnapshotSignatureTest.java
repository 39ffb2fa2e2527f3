package io.tinyfed.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotSignatureTest {
    private static final Model MODEL = Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1);
    private final KeyPair keys = SnapshotSigner.generateKeyPair();
    private final SnapshotSigner signer = new SnapshotSigner("coord-1", keys.getPrivate());
    private final SnapshotVerifier verifier = new SnapshotVerifier(Map.of("coord-1", keys.getPublic()));

    @Test
    void signedSnapshot_verifiesAfterTheWire() throws Exception {
        ModelSnapshot s = signer.sign("sine", 5, MODEL, Instant.ofEpochMilli(1));
        ModelSnapshot received = WireCodec.decodeSnapshot(WireCodec.encode(s));
        verifier.verify(received);
        assertThat(received.signature()).hasSize(64);
    }

    @Test
    void tamperedParametersVersionOrKey_areRefused() {
        ModelSnapshot s = signer.sign("sine", 5, MODEL, Instant.EPOCH);
        float[] p = MODEL.f32Parameters();
        p[0] += 1e-3f;
        ModelSnapshot otherModel = new ModelSnapshot("sine", 5, Model.ofF32(MODEL.architecture(), p), "coord-1",
                s.signature(), Instant.EPOCH);
        ModelSnapshot otherVersion = new ModelSnapshot("sine", 6, MODEL, "coord-1", s.signature(), Instant.EPOCH);
        ModelSnapshot otherKey = new ModelSnapshot("sine", 5, MODEL, "coord-2", s.signature(), Instant.EPOCH);
        ModelSnapshot garbage = new ModelSnapshot("sine", 5, MODEL, "coord-1", new byte[] {1, 2}, Instant.EPOCH);
        for (ModelSnapshot bad : new ModelSnapshot[] {otherModel, otherVersion, otherKey, garbage}) {
            assertThatThrownBy(() -> verifier.verify(bad)).isInstanceOf(ProtocolException.class)
                    .extracting(e -> ((ProtocolException) e).reason()).isEqualTo(RejectReason.BAD_SIGNATURE);
        }
        ModelSnapshot foreign = new SnapshotSigner("coord-1", SnapshotSigner.generateKeyPair().getPrivate())
                .sign("sine", 5, MODEL, Instant.EPOCH);
        assertThatThrownBy(() -> verifier.verify(foreign)).hasMessageContaining("does not match its signature");
    }

    @Test
    void trustFile_roundTripsAndRejectsGarbage(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("trust.keys");
        TrustedKeys.write(file, "coord-1", keys.getPublic());
        SnapshotVerifier fromFile = new SnapshotVerifier(TrustedKeys.read(file));
        fromFile.verify(signer.sign("sine", 1, MODEL, Instant.EPOCH));
        java.nio.file.Files.writeString(file, "coord-1 bm90LWEta2V5\n");
        assertThatThrownBy(() -> TrustedKeys.read(file)).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining(":1: not an Ed25519 public key");
    }
}
