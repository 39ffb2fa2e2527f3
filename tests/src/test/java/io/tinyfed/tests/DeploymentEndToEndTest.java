package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.agent.Agent;
import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.Deployments;
import io.tinyfed.coordinator.rollout.Rollout;
import io.tinyfed.coordinator.rollout.RolloutPlan;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.protocol.DeploymentStatus;
import io.tinyfed.registry.QueryTable;
import io.tinyfed.simulators.SimulatedFleet;
import io.tinyfed.simulators.tasks.SineFamily;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deployments over real MQTT: 20 agents (S16 Cortex-M4 profiles and F32 gateways) learn the sine
 * family for a few rounds; the newest meta-model is rolled out in three waves (canary, half, all),
 * personalised on each device's own samples and compared in shadow with what each device served;
 * (the same version the devices follow, so every shadow ratio is 1); then the untrained initial version is rolled out and must fail the canary's quality gate, with
 * only the canary ever serving it and the canary rolled back. The registry's answer to "what is
 * deployed where" must equal what every agent reports it serves.
 */
class DeploymentEndToEndTest {
    private static final int DEVICES = 20;
    private static final Duration WAIT = Duration.ofMinutes(3);

    @Test
    void rollout_goodVersionReachesEveryWave_badVersionStopsAtTheCanaryAndRollsBack(@TempDir Path dir) throws Exception {
        Model init = Model.initialize(SineFamily.ARCHITECTURE, 31);
        SimulatedFleet fleet = new SimulatedFleet("deploy-e2e", DEVICES, 31);
        try (Coordinator c = Coordinator.builder().fleet("deploy-e2e").store(dir).initialModel(init)
                .credentials(fleet.credentials())
                .rounds(new RoundEngine.Settings("sine", 32, 0.02f, 10, Duration.ofSeconds(10), 1.0, 1, 1e3, 3))
                .strategy(new ReptileStrategy(1.0, true, 30, Selection.count(10))).start();
             SimulatedFleet agents = fleet) {
            agents.start(c.brokerUri(), c.trustFile());
            await().atMost(Duration.ofSeconds(60)).until(() -> c.engine().eligible().size() == DEVICES);
            c.startRun(30);
            assertThat(c.awaitRun(WAIT)).as("training rounds closed").isTrue();
            long good = c.engine().currentVersion().version();
            Deployments deployments = c.deployments();

            // 1. the trained meta-model, three waves, personalised, compared in shadow
            RolloutPlan plan = new RolloutPlan(List.of(0.05, 0.5, 1.0), Duration.ofSeconds(60), 0.95, 1.05, 30, 16, 0.02f);
            deployments.create(new Deployments.Request("good", good, List.of(), true, null, plan, 7L));
            Rollout.State done = await().atMost(WAIT).until(() -> deployments.get("good").orElseThrow(),
                    s -> !s.phase().active());

            assertThat(done.phase()).as("%s", done.decisions()).isEqualTo(Rollout.Phase.SUCCEEDED);
            assertThat(done.waves()).extracting(Rollout.Wave::end).containsExactly(1, 10, 20);
            assertThat(done.counts()).containsEntry(Rollout.Step.SERVING, DEVICES);
            await().atMost(Duration.ofSeconds(30)).until(() -> agents.agents().stream()
                    .allMatch(a -> a.deployment().map(DeploymentStatus::servingVersion).orElse(-1L) == good));
            assertThat(agents.agents()).allSatisfy(a -> assertThat(a.deployment().orElseThrow().personalised()).isTrue());
            assertRegistryAgreesWithAgents(c, agents);

            // 2. the untrained initial version: the canary's shadow figures fail the quality gate
            deployments.create(new Deployments.Request("bad", 1L, List.of(), true, null, plan, 7L));
            Rollout.State failed = await().atMost(WAIT).until(() -> deployments.get("bad").orElseThrow(),
                    s -> s.phase() != Rollout.Phase.RUNNING && s.counts().getOrDefault(Rollout.Step.ROLLBACK_SENT, 0) == 0);

            assertThat(failed.phase()).isEqualTo(Rollout.Phase.FAILED);
            assertThat(failed.reason()).contains("wave 1 failed").contains("worse than what the devices served");
            assertThat(failed.waves().get(0).medianLossRatio()).isGreaterThan(1.05);
            assertThat(failed.counts()).containsEntry(Rollout.Step.ROLLED_BACK, 1)
                    .containsEntry(Rollout.Step.PENDING, DEVICES - 1);
            // what the dashboard's live view watches: each rollout's phase and wave, in creation order
            assertThat(deployments.summary()).isEqualTo("good:SUCCEEDED:" + done.currentWave() + " bad:FAILED:"
                    + failed.currentWave());
            String canary = failed.devices().stream().filter(d -> d.step() == Rollout.Step.ROLLED_BACK).findFirst()
                    .orElseThrow().id();
            assertThat(agents.agents()).allSatisfy(a -> {
                DeploymentStatus s = a.deployment().orElseThrow();
                assertThat(s.servingVersion()).isEqualTo(good);
                assertThat(s.rolloutId()).isEqualTo(isCanary(a, canary, agents) ? "bad" : "good");
            });
            assertRegistryAgreesWithAgents(c, agents);
            // 3. a deploy signed by a key the devices do not trust, published with the coordinator's own broker login:
            // refused, the reason reaches the coordinator, and what the device serves does not change
            String target = SimulatedFleet.deviceId(3);
            DeploymentChecks.publishForgedInstall(c, "deploy-e2e", target, "good", init);
            DeploymentStatus refused = await().atMost(Duration.ofSeconds(30)).until(
                    () -> deployments.reported().get(target), r -> r.state() == DeploymentStatus.State.FAILED);
            assertThat(refused.reason()).contains("BAD_SIGNATURE");
            DeploymentChecks.assertRefusalRecorded(c, target, "good", "BAD_SIGNATURE");
            assertThat(refused.servingVersion()).isEqualTo(good);
            Rollout.State goodAfter = deployments.get("good").orElseThrow();
            assertThat(goodAfter.phase()).isEqualTo(Rollout.Phase.SUCCEEDED);
            assertThat(goodAfter.decisions()).extracting(Rollout.Decision::text)
                    .anyMatch(t -> t.startsWith(target + " refused a deploy naming this rollout: BAD_SIGNATURE"));
            assertRegistryAgreesWithAgents(c, agents);
            QueryTable lineage = c.registry().orElseThrow().selectResource("deployed-lineage.rq");
            assertThat(lineage.rows()).filteredOn(r -> r.get("rollout").equals("good"))
                    .extracting(r -> r.get("ancestor")).first().isEqualTo(String.valueOf(good));
        }
    }

    private static boolean isCanary(Agent a, String canary, SimulatedFleet agents) {
        return SimulatedFleet.deviceId(agents.agents().indexOf(a)).equals(canary);
    }

    /** deployed-where.rq has one row per agent, with the version the agent itself reports it serves. */
    private static void assertRegistryAgreesWithAgents(Coordinator c, SimulatedFleet agents) {
        Map<String, String> reported = new TreeMap<>();
        for (int d = 0; d < agents.agents().size(); d++) {
            reported.put(SimulatedFleet.deviceId(d), String.valueOf(agents.agents().get(d).deployment().orElseThrow()
                    .servingVersion()));
        }
        DeploymentChecks.assertRegistryAgrees(c, reported);
    }
}
