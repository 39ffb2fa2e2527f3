package io.tinyfed.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.TrustedKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {
    private static final Model MODEL = Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1);

    @Test
    void versionsRoundTripWithLineageAndSignature(@TempDir Path dir) throws Exception {
        ModelStore store = new ModelStore(dir);
        SnapshotSigner signer = CoordinatorKeys.loadOrCreate(dir, "coord");
        ModelSnapshot v1 = signer.sign("sine", 1, MODEL, Instant.ofEpochMilli(5));
        store.save(v1, 0, 0, "initial", List.of(), Map.of(), null);
        Model m2 = MODEL.withRealParameters(new float[MODEL.parameterCount()]);
        store.save(signer.sign("sine", 2, m2, Instant.ofEpochMilli(6)), 1, 1, "reptile", List.of("a", "b"),
                Map.of("DUPLICATE", 1), 0.5);

        ModelStore reopened = new ModelStore(dir);
        assertThat(reopened.versions("sine")).extracting(ModelStore.Version::version).containsExactly(1L, 2L);
        ModelStore.Version latest = reopened.latest("sine").orElseThrow();
        assertThat(latest.contributors()).containsExactly("a", "b");
        assertThat(latest.parentVersion()).isEqualTo(1);
        assertThat(latest.metaEvalLoss()).isEqualTo(0.5);
        assertThat(reopened.load(latest)).isEqualTo(m2);
        new SnapshotVerifier(TrustedKeys.read(CoordinatorKeys.trustFile(dir))).verify(reopened.snapshot(latest));
        assertThat(CoordinatorKeys.loadOrCreate(dir, "coord").keyId()).isEqualTo("coord");
    }

    @Test
    void corruptObject_isDetected(@TempDir Path dir) throws Exception {
        ModelStore store = new ModelStore(dir);
        SnapshotSigner signer = CoordinatorKeys.loadOrCreate(dir, "coord");
        ModelStore.Version v = store.save(signer.sign("sine", 1, MODEL, Instant.EPOCH), 0, 0, "initial", List.of(),
                Map.of(), null);
        Path object = dir.resolve("objects").resolve(v.sha256() + ".tfm");
        byte[] bytes = Files.readAllBytes(object);
        bytes[20] ^= 1;
        Files.write(object, bytes);
        assertThatThrownBy(() -> store.load(v)).hasMessageContaining("corrupt");
    }

    @Test
    void modelIdsAndHashesThatCouldLeaveTheStore_areRefused(@TempDir Path dir) throws Exception {
        Path store = Files.createDirectories(dir.resolve("store"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("0000000001.json"), "{}");
        ModelStore s = new ModelStore(store);

        for (String id : List.of("..", ".", "../outside", "/tmp", "a/b", "")) {
            assertThatThrownBy(() -> s.versions(id))
                    .as("model id '%s'", id).isInstanceOf(IllegalArgumentException.class);
        }
        ModelStore.Version forged = new ModelStore.Version("sine", 3, 1, 2, "../../outside/0000000001.json#", "k", "",
                Instant.EPOCH, "reptile", List.of(), Map.of(), null);
        assertThatThrownBy(() -> s.load(forged)).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("sine version 3").hasMessageContaining("no valid SHA-256");
    }

    @Test
    void coordinatorKey_isOwnerOnlyAndMatchesItsTrustFile(@TempDir Path dir) throws Exception {
        SnapshotSigner first = CoordinatorKeys.loadOrCreate(dir, "k");
        SnapshotSigner again = CoordinatorKeys.loadOrCreate(dir, "k");
        Model m = Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 4, 1), 1);

        assertThat(Files.getPosixFilePermissions(dir.resolve("keys").resolve("coordinator.key")))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.exists(dir.resolve("keys").resolve("coordinator.key.tmp"))).isFalse();
        new SnapshotVerifier(TrustedKeys.read(CoordinatorKeys.trustFile(dir))).verify(again.sign("sine", 1, m, Instant.EPOCH));
        new SnapshotVerifier(TrustedKeys.read(CoordinatorKeys.trustFile(dir))).verify(first.sign("sine", 2, m, Instant.EPOCH));
    }

    @Test
    void roundLog_survivesATornLastLine(@TempDir Path dir) throws Exception {
        ModelStore store = new ModelStore(dir);
        assertThat(store.lastRoundStarted()).isZero();
        store.roundStarted(1);
        store.roundStarted(2);
        Files.writeString(dir.resolve("rounds.log"), "3", StandardCharsets.US_ASCII,
                java.nio.file.StandardOpenOption.APPEND);
        Files.writeString(dir.resolve("rounds.log"), "x", StandardCharsets.US_ASCII,
                java.nio.file.StandardOpenOption.APPEND);
        assertThat(new ModelStore(dir).lastRoundStarted()).isEqualTo(2);
    }
}
