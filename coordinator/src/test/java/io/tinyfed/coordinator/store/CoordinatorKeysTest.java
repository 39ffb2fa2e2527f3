package io.tinyfed.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.TrustedKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinatorKeysTest {
    @Test
    void theCoordinatorsFasterSigner_writesTheJdkSignatures_thatDevicesVerify(@TempDir Path store) throws Exception {
        SnapshotSigner signer = CoordinatorKeys.loadOrCreate(store, "coord-1");
        SnapshotSigner jdk = new SnapshotSigner("coord-1", KeyFactory.getInstance("Ed25519").generatePrivate(
                new PKCS8EncodedKeySpec(Files.readAllBytes(store.resolve("keys/coordinator.key")))));
        TrainTask task = new TrainTask(3, "sine", 7, 16, 0.02f, 10, Instant.parse("2026-12-04T12:00:00Z"));

        byte[] signature = signer.signTask(task, "dev-1");

        assertThat(signature).isEqualTo(jdk.signTask(task, "dev-1")); // Ed25519 is deterministic
        SnapshotVerifier devices = new SnapshotVerifier(TrustedKeys.read(CoordinatorKeys.trustFile(store)));
        devices.verifyTask(task, "dev-1", "coord-1", signature);
        assertThatThrownBy(() -> devices.verifyTask(task, "dev-2", "coord-1", signature))
                .isInstanceOf(ProtocolException.class);
    }
}
