package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.Deployments;
import io.tinyfed.coordinator.rollout.Rollout;
import io.tinyfed.coordinator.rollout.RolloutPlan;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.firmware.serial.SerialBridge;
import io.tinyfed.protocol.DeploymentStatus;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.TrustedKeys;
import io.tinyfed.simulators.tasks.SineFamily;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deployments to MCUs behind a gateway: three virtual MCUs (the C device loop, built with gcc) join a real
 * coordinator through serial bridges and train two rounds; the trained version is rolled out to them in two
 * waves, personalised on each MCU's samples and compared in shadow with the meta-model each served; then an
 * older version is rolled out and rolled back by the operator, and a deploy signed by an untrusted key is
 * refused at the gateway. Every status comes from the MCU's own DEPLOYMENT frames, and the registry's
 * "what is deployed where" equals what every MCU reports.
 */
class SerialDeploymentEndToEndTest {
    private static final String FLEET = "serial-deploy";
    private static final int MCUS = 3;
    private static final Duration WAIT = Duration.ofMinutes(2);
    @RegisterExtension
    final ProcessLogs logs = new ProcessLogs();

    @Test
    void mcusBehindABridge_installInWaves_shadowRollBack_andRefuseAForgedDeploy(@TempDir Path dir) throws Exception {
        Model init = Model.initialize(SineFamily.ARCHITECTURE, 31);
        List<SerialBridge> bridges = new ArrayList<>();
        try (VirtualMcus mcus = new VirtualMcus(dir, init, logs);
             Coordinator c = Coordinator.builder().fleet(FLEET).store(dir.resolve("store")).initialModel(init)
                     .rounds(new RoundEngine.Settings("sine", 16, 0.02f, 10, Duration.ofSeconds(20), 1.0, 2, 1e3, 7))
                     .strategy(new ReptileStrategy(1.0, false, 2, Selection.count(MCUS))).brokerPort(0).sparqlPort(-1)
                     .start()) {
            SnapshotVerifier verifier = new SnapshotVerifier(TrustedKeys.read(c.trustFile()));
            for (int d = 1; d <= MCUS; d++) {
                bridges.add(mcus.start("mcu-" + d, 1.0 + d, 0.3 * d, d, c.brokerUri(), FLEET, verifier, "gateway-1", false));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> c.engine().eligible().size() == MCUS);
            c.startRun(2);
            assertThat(c.awaitRun(WAIT)).isTrue();
            long trained = c.engine().currentVersion().version();
            Deployments deployments = c.deployments();

            // 1. the trained version, canary then all, personalised, compared in shadow with what each MCU served:
            // the same version's release personalised the same way on the same samples, so bit for bit the same loss
            RolloutPlan plan = new RolloutPlan(List.of(0.34, 1.0), Duration.ofSeconds(60), 1.0, 1.05, 24, 8, 0.02f);
            deployments.create(new Deployments.Request("trained", trained, List.of(), true, null, plan, 7L));
            Rollout.State done = await().atMost(WAIT).until(() -> deployments.get("trained").orElseThrow(),
                    s -> !s.phase().active());
            assertThat(done.phase()).as("%s", done.decisions()).isEqualTo(Rollout.Phase.SUCCEEDED);
            assertThat(done.waves()).extracting(Rollout.Wave::end).containsExactly(2, 3);
            assertThat(done.counts()).containsEntry(Rollout.Step.SERVING, MCUS);
            assertThat(bridges).allSatisfy(b -> {
                DeploymentStatus s = b.deployment().orElseThrow();
                assertThat(s.state()).isEqualTo(DeploymentStatus.State.SERVING);
                assertThat(s.servingVersion()).isEqualTo(trained);
                assertThat(s.previousVersion()).isEqualTo(trained);
                assertThat(s.personalised()).isTrue();
                assertThat(s.shadowSamples()).isEqualTo(24);
                assertThat(s.candidateLoss()).isFinite().isPositive();
                assertThat(s.lossRatio()).isEqualTo(1.0);
                assertThat(s.format()).isEqualTo(io.tinyfed.core.NumberFormat.S16);
            });
            for (int d = 1; d <= MCUS; d++) {
                assertThat(Files.readString(mcus.log("mcu-" + d))).contains("serving v" + trained + " (personalised)");
            }
            assertRegistryAgreesWithMcus(c, bridges);

            // 2. the initial version without a quality gate, then the operator's rollback: back to the trained version
            RolloutPlan noShadow = new RolloutPlan(List.of(1.0), Duration.ofSeconds(60), 1.0, 1.05, 0, 0, 0f);
            deployments.create(new Deployments.Request("older", 1L, List.of(), true, null, noShadow, 7L));
            await().atMost(WAIT).until(() -> deployments.get("older").orElseThrow(), s -> !s.phase().active());
            assertThat(bridges).allSatisfy(b -> assertThat(b.deployment().orElseThrow().servingVersion()).isEqualTo(1L));
            deployments.rollback("older");
            Rollout.State back = await().atMost(WAIT).until(() -> deployments.get("older").orElseThrow(),
                    s -> s.counts().getOrDefault(Rollout.Step.ROLLED_BACK, 0) == MCUS);
            assertThat(back.phase()).isEqualTo(Rollout.Phase.ROLLED_BACK);
            assertThat(bridges).allSatisfy(b -> {
                DeploymentStatus s = b.deployment().orElseThrow();
                assertThat(s.state()).isEqualTo(DeploymentStatus.State.ROLLED_BACK);
                assertThat(s.servingVersion()).isEqualTo(trained);
            });
            assertRegistryAgreesWithMcus(c, bridges);

            // 3. a deploy signed by a key the gateway does not trust: refused there, the reason reaches the coordinator
            DeploymentChecks.publishForgedInstall(c, FLEET, "mcu-2", "older", init);
            DeploymentStatus refused = await().atMost(Duration.ofSeconds(30)).until(
                    () -> deployments.reported().get("mcu-2"), r -> r.state() == DeploymentStatus.State.FAILED);
            assertThat(refused.reason()).contains("BAD_SIGNATURE");
            DeploymentChecks.assertRefusalRecorded(c, "mcu-2", "older", "BAD_SIGNATURE");
            assertThat(refused.servingVersion()).isEqualTo(trained);
            assertThat(bridges.get(1).deploysRefused()).isEqualTo(1);
            assertThat(bridges).allSatisfy(b -> assertThat(b.refusedFromDevice()).isZero());
            assertThat(c.engine().rejectedTotals()).isEmpty();
        }
    }

    private static void assertRegistryAgreesWithMcus(Coordinator c, List<SerialBridge> bridges) {
        Map<String, String> reported = new TreeMap<>();
        for (SerialBridge b : bridges) {
            reported.put(b.deviceId(), String.valueOf(b.deployment().orElseThrow().servingVersion()));
        }
        DeploymentChecks.assertRegistryAgrees(c, reported);
    }
}
