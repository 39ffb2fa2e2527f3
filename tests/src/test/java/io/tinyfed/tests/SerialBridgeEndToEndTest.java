package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.export.CExport;
import io.tinyfed.firmware.Toolchain;
import io.tinyfed.firmware.serial.SerialBridge;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.TrustedKeys;
import io.tinyfed.registry.QueryTable;
import io.tinyfed.simulators.tasks.SineFamily;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two "virtual MCUs" (the C device loop and the exported runtime, built with gcc, talking the serial
 * protocol on their stdin/stdout) join a real coordinator through serial bridges: they appear as fleet
 * devices attached via the gateway, receive the meta-model, adapt it in int16 fixed point on their own
 * sine samples, and their updates are aggregated into new versions.
 */
class SerialBridgeEndToEndTest {
    private static final int ROUNDS = 3;
    @RegisterExtension
    final ProcessLogs logs = new ProcessLogs();

    @Test
    void virtualMcus_trainInFederatedRoundsThroughTheSerialBridge(@TempDir Path dir) throws Exception {
        run(dir, false);
    }

    /**
     * The same over a bad line: every 5th frame to the MCU has a flipped bit, every 7th is preceded by
     * garbage, and one bit in about 700 bytes from the MCU is flipped. Both ends drop and count what fails
     * its CRC or framing, retransmit, and the coordinator still gets every update intact (no rejects). The
     * coordinator asks for the top 10% of each update here: the gateway compresses the MCU's update, keeping
     * the residual for the MCU, and sends about 420 B instead of 7 KB.
     */
    @Test
    void aNoisyLine_isResynchronisedAndTheCoordinatorSeesNoCorruptUpdate(@TempDir Path dir) throws Exception {
        run(dir, true);
    }

    private void run(Path dir, boolean noisy) throws Exception {
        Model init = Model.initialize(SineFamily.ARCHITECTURE, 31);
        List<SerialBridge> bridges = new ArrayList<>();
        try (VirtualMcus mcus = new VirtualMcus(dir, init, logs);
             Coordinator c = Coordinator.builder().fleet("serial").store(dir.resolve("store")).initialModel(init)
                .rounds(new RoundEngine.Settings("sine", 16, 0.02f, 10, Duration.ofSeconds(20), 1.0, 2, 1e3, 7))
                .strategy(new ReptileStrategy(1.0, false, ROUNDS, Selection.count(2))).brokerPort(0).sparqlPort(-1)
                .uplinkPermille(noisy ? 100 : 0).start()) {
            SnapshotVerifier verifier = new SnapshotVerifier(TrustedKeys.read(c.trustFile()));
            for (int d = 1; d <= 2; d++) {
                bridges.add(mcus.start("mcu-" + d, 1.0 + d, 0.5, d, c.brokerUri(), "serial", verifier, "gateway-1", noisy));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> c.engine().eligible().size() == 2);
            c.startRun(ROUNDS);
            assertThat(c.awaitRun(Duration.ofMinutes(2))).isTrue();

            assertThat(c.engine().history()).hasSize(ROUNDS).allSatisfy(s -> {
                assertThat(s.accepted()).containsExactlyInAnyOrder("mcu-1", "mcu-2");
                assertThat(s.newVersion()).isPositive();
                assertThat(s.meanLossBefore()).isFinite();
                assertThat(s.meanLossAfter()).isFinite();
            });
            // The MCUs' int16 adaptation lowers their local loss on average (one round may not: 16 SGD steps).
            assertThat(c.engine().history().stream().mapToDouble(s -> s.meanLossAfter() - s.meanLossBefore()).average()
                    .orElseThrow()).isNegative();
            assertThat(c.engine().rejectedTotals()).isEmpty();
            assertThat(bridges).allSatisfy(b -> assertThat(b.updatesPublished()).isEqualTo(ROUNDS));
            // with a compressed uplink the MCUs (exported with a residual) compress their updates themselves
            assertThat(bridges).allSatisfy(b -> assertThat(b.compressedFromMcu()).isEqualTo(noisy ? ROUNDS : 0));
            assertThat(bridges).allSatisfy(b -> assertThat((double) b.updateBytesPublished() / ROUNDS)
                    .as("bytes per update").isBetween(noisy ? 300.0 : 7_000.0, noisy ? 450.0 : 7_300.0));
            assertThat(c.flushRegistry(Duration.ofSeconds(10))).isTrue();
            QueryTable attached = c.registry().orElseThrow().select("""
                    PREFIX tf: <https://tinyfed.io/ns#>
                    SELECT ?id ?via ?ram WHERE { ?d tf:deviceId ?id ; tf:attachedVia ?via ; tf:ramBytes ?ram } ORDER BY ?id""");
            assertThat(attached.rows()).extracting(row -> row.get("id")).containsExactly("mcu-1", "mcu-2");
            assertThat(attached.rows()).allSatisfy(row -> {
                assertThat(row).containsEntry("via", io.tinyfed.registry.Iris.device("serial", "gateway-1"));
                assertThat(row).containsEntry("ram", "262144"); // the MCU's own hello, not the gateway's
            });
            if (noisy) {
                assertThat(bridges).allSatisfy(b -> {
                    assertThat(b.link().decoder().badCrc() + b.link().decoder().malformed()).as("dropped at the gateway")
                            .isPositive();
                    assertThat(b.link().retransmissions()).as("gateway retransmissions").isPositive();
                });
            }
        }
        if (noisy) {
            for (int d = 1; d <= 2; d++) {
                String log = Files.readString(dir.resolve("mcu-" + d + ".log"));
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("bad crc (\\d+), malformed (\\d+)").matcher(log);
                assertThat(m.find()).as("mcu-%d log: %s", d, log).isTrue();
                assertThat(Long.parseLong(m.group(1)) + Long.parseLong(m.group(2))).as("dropped on the MCU").isPositive();
            }
        }
    }
}
