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
import io.tinyfed.firmware.CExport;
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
     * its CRC or framing, retransmit, and the coordinator still gets every update intact (no rejects).
     */
    @Test
    void aNoisyLine_isResynchronisedAndTheCoordinatorSeesNoCorruptUpdate(@TempDir Path dir) throws Exception {
        run(dir, true);
    }

    private void run(Path dir, boolean noisy) throws Exception {
        Model init = Model.initialize(SineFamily.ARCHITECTURE, 31);
        SplittableRandom r = new SplittableRandom(5);
        List<float[]> calibration = new ArrayList<>();
        for (int k = 0; k < 64; k++) {
            calibration.add(new float[] {(float) (r.nextDouble() * 10 - 5)});
        }
        Model firmware = Quantizer.toS16(init, calibration);
        Path fw = Files.createDirectories(dir.resolve("firmware"));
        CExport.export(firmware, "model", fw, TrainingConfig.builder().learningRate(0.02f).seed(3).build());
        try (InputStream in = CExport.class.getResourceAsStream("c/virtual_mcu.c")) {
            Files.write(fw.resolve("virtual_mcu.c"), in.readAllBytes());
        }
        Path exe = Toolchain.gcc(fw, "virtual_mcu", "virtual_mcu.c", "model.c", "tinyfed.c", "tinyfed_tables.c",
                "tinyfed_serial.c");

        List<Process> mcus = new ArrayList<>();
        List<SerialBridge> bridges = new ArrayList<>();
        try (Coordinator c = Coordinator.builder().fleet("serial").store(dir.resolve("store")).initialModel(init)
                .rounds(new RoundEngine.Settings("sine", 16, 0.02f, 10, Duration.ofSeconds(20), 1.0, 2, 1e3, 7))
                .strategy(new ReptileStrategy(1.0, false, ROUNDS, Selection.count(2))).brokerPort(0).sparqlPort(-1).start()) {
            SnapshotVerifier verifier = new SnapshotVerifier(TrustedKeys.read(c.trustFile()));
            for (int d = 1; d <= 2; d++) {
                Process p = new ProcessBuilder(exe.toString(), "mcu-" + d, String.valueOf(1.0 + d), "0.5", String.valueOf(d))
                        .redirectError(logs.add(dir.resolve("mcu-" + d + ".log")).toFile()).start();
                mcus.add(p);
                InputStream fromMcu = noisy ? new NoisyLine.In(p.getInputStream(), 700, d) : p.getInputStream();
                java.io.OutputStream toMcu = noisy ? new NoisyLine.Out(p.getOutputStream(), d) : p.getOutputStream();
                bridges.add(new SerialBridge(fromMcu, toMcu, c.brokerUri(), "serial", verifier, firmware, "gateway-1").start());
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
        } finally {
            bridges.forEach(SerialBridge::close);
            for (Process p : mcus) {
                p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
                p.destroy();
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
