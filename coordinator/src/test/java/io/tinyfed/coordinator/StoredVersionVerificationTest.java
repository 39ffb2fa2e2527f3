package io.tinyfed.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A coordinator refuses to start on a stored version whose signature its own devices would refuse. */
class StoredVersionVerificationTest {
    private static Coordinator.Builder coordinator(Path store) {
        return Coordinator.builder().fleet("tamper").store(store)
                .initialModel(Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1))
                .rounds(new RoundEngine.Settings("sine", 4, 0.02f, 4, Duration.ofSeconds(1), 1.0, 1, 100, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(1))).brokerPort(0).withoutRegistry();
    }

    @Test
    void aTamperedSignature_isRefusedAtStartWithTheFileAndVersion(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        coordinator(store).start().close();
        Path meta = store.resolve("versions").resolve("sine").resolve("0000000001.json");
        String json = Files.readString(meta);
        String signature = json.replaceAll("(?s).*\"signature\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        byte[] raw = Base64.getDecoder().decode(signature);
        raw[0] ^= 1;
        Files.writeString(meta, json.replace(signature, Base64.getEncoder().encodeToString(raw)));

        assertThatThrownBy(() -> coordinator(store).start()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("stored version 1 of sine").hasMessageContaining("does not verify")
                .hasMessageContaining("trust.keys");

        Files.writeString(meta, json);
        try (Coordinator restored = coordinator(store).start()) {
            assertThat(restored.engine().currentVersion().version()).as("the untouched store starts").isEqualTo(1);
        }
    }
}
