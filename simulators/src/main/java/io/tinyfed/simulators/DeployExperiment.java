package io.tinyfed.simulators;

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
import io.tinyfed.simulators.tasks.SineFamily;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code tinyfed experiment deploy}: rollouts over real MQTT to a fleet of agents (each its own
 * sine task, half S16 Cortex-M4 profiles, half F32 gateways). The fleet first trains a meta-model by
 * federated Reptile; then the trained version is rolled out in three waves (canary 5%, half, all),
 * personalised on each device's samples, while 5% of the devices are offline until the last wave
 * opens; then the untrained initial version is rolled out and must stop at the canary's quality
 * gate. Measures completion, registry agreement with what the agents report, and exposure to the
 * bad version.
 */
final class DeployExperiment {
    private final boolean quick;
    private final long seed;
    private final PrintStream console;

    DeployExperiment(boolean quick, long seed, PrintStream console) {
        this.quick = quick;
        this.seed = seed;
        this.console = console;
    }

    List<Map<String, Object>> run(Path store) throws Exception {
        int devices = quick ? 100 : 1000;
        int rounds = quick ? 10 : 20;
        Duration sampling = Duration.ofMillis(quick ? 20 : 100);
        List<Map<String, Object>> metrics = new ArrayList<>();
        SimulatedFleet fleet = new SimulatedFleet("deploy", devices, seed, sampling);
        console.printf("%nDeployments: %d agents over MQTT (embedded broker), %d training rounds, then a good and a bad "
                + "rollout, seed %d%n", devices, rounds, seed);
        try (Coordinator c = Coordinator.builder().fleet("deploy").store(store).initialModel(
                        Model.initialize(SineFamily.ARCHITECTURE, seed)).credentials(fleet.credentials())
                .rounds(new RoundEngine.Settings("sine", 32, 0.02f, 10, Duration.ofSeconds(30), 1.0, 1, 1e3, seed))
                .strategy(new ReptileStrategy(1.0, true, rounds, Selection.count(20))).sparqlPort(-1).start();
             SimulatedFleet agents = fleet) {
            long t0 = System.nanoTime();
            agents.start(c.brokerUri(), c.trustFile());
            if (!c.awaitEligible(devices, Duration.ofMinutes(5))) {
                throw new IllegalStateException("only " + c.engine().eligible().size() + " of " + devices + " agents came online");
            }
            console.printf(Locale.ROOT, "  %d agents online in %.1f s; training%n", devices, (System.nanoTime() - t0) / 1e9);
            c.startRun(rounds);
            if (!c.awaitRun(Duration.ofMinutes(20))) {
                throw new IllegalStateException("training did not finish in 20 minutes");
            }
            long good = c.engine().currentVersion().version();
            Deployments deployments = c.deployments();

            // 5% of the fleet goes offline before the rollout and returns once the last wave has opened.
            List<Integer> offline = new ArrayList<>();
            SplittableRandom random = new SplittableRandom(seed);
            while (offline.size() < devices / 20) {
                int d = random.nextInt(devices);
                if (!offline.contains(d)) {
                    offline.add(d);
                }
            }
            for (int d : offline) {
                agents.stop(d);
            }
            // 75% must install per wave: a canary of five still passes with one of its devices offline.
            RolloutPlan plan = new RolloutPlan(List.of(0.05, 0.5, 1.0), Duration.ofSeconds(quick ? 30 : 60), 0.75, 1.05,
                    50, 32, 0.02f);
            long started = System.nanoTime();
            deployments.create(new Deployments.Request("good", good, List.of(), true, null, plan, seed));
            boolean back = false;
            Rollout.State s;
            int shown = 0;
            do {
                Thread.sleep(200);
                s = deployments.get("good").orElseThrow();
                for (; shown < s.decisions().size(); shown++) {
                    console.printf("  good: %s%n", s.decisions().get(shown).text());
                }
                if (!back && s.waves().get(s.waves().size() - 1).opened() != null) {
                    for (int d : offline) {
                        agents.restart(d);
                    }
                    back = true;
                    console.printf("  %d offline agents back online%n", offline.size());
                }
            } while (s.phase().active());
            double seconds = (System.nanoTime() - started) / 1e9;
            // devices that came back during the last wave install after it closes: wait for their reports
            waitForReports(agents, good, Duration.ofSeconds(60));
            long serving = agents.agents().stream().filter(a -> servingVersion(a) == good).count();
            double agreement = agreement(c, agents);
            double gain = s.medianPersonalisationGain();
            console.printf(Locale.ROOT, "  personalisation (32 steps): median shadow loss of the version as released / "
                    + "personalised = %.3f over %d devices%n", gain, s.personalisationGainsMeasured());
            console.printf(Locale.ROOT, "  good rollout: %s in %.1f s, %d/%d devices serve v%d, registry agrees on %.3f%n",
                    s.phase(), seconds, serving, devices, good, agreement);

            Map<String, Long> installsBefore = new HashMap<>();
            for (int d = 0; d < devices; d++) {
                installsBefore.put(SimulatedFleet.deviceId(d), agents.agents().get(d).stats().installs());
            }
            deployments.create(new Deployments.Request("bad", 1L, List.of(), true, null, plan, seed + 1));
            Rollout.State bad = waitSettled(deployments, "bad");
            long exposed = 0;
            for (int d = 0; d < devices; d++) {
                if (agents.agents().get(d).stats().installs() > installsBefore.get(SimulatedFleet.deviceId(d))) {
                    exposed++;
                }
            }
            long rolledBack = bad.devices().stream().filter(x -> x.step() == Rollout.Step.ROLLED_BACK).count();
            long canary = bad.waves().get(0).end();
            console.printf(Locale.ROOT, "  bad rollout: %s (%s); %d devices ever served it (canary %d), %d rolled back%n",
                    bad.phase(), bad.reason(), exposed, canary, rolledBack);
            double agreementAfter = agreement(c, agents);

            metrics.add(metric("deploy_devices", devices));
            metrics.add(metric("deploy_seconds", seconds));
            metrics.add(metric("deploy_completed_fraction", (double) serving / devices));
            metrics.add(metric("deploy_personalised_gain", gain));
            metrics.add(metric("deploy_registry_agreement", Math.min(agreement, agreementAfter)));
            metrics.add(metric("deploy_bad_exposure_fraction", (double) exposed / devices));
            metrics.add(metric("deploy_bad_rolled_back", rolledBack));
            metrics.add(metric("deploy_bad_canary", canary));
            metrics.add(metric("deploy_good_phase", s.phase().name()));
            metrics.add(metric("deploy_bad_phase", bad.phase().name()));
        }
        return metrics;
    }

    private static long servingVersion(Agent a) {
        return a.deployment().map(DeploymentStatus::servingVersion).orElse(-1L);
    }

    private static void waitForReports(SimulatedFleet agents, long version, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end && agents.agents().stream().anyMatch(a -> servingVersion(a) != version)) {
            Thread.sleep(200);
        }
    }

    private static Rollout.State waitSettled(Deployments deployments, String id) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        Rollout.State s;
        do {
            Thread.sleep(200);
            s = deployments.get(id).orElseThrow();
        } while ((s.phase().active() || s.counts().getOrDefault(Rollout.Step.ROLLBACK_SENT, 0) > 0)
                && System.nanoTime() < end);
        return s;
    }

    /**
     * Fraction of devices whose row in deployed-where.rq names the version the agent reports serving (a device that
     * never received a deploy agrees when the registry has no row for it either).
     */
    private static double agreement(Coordinator c, SimulatedFleet agents) throws InterruptedException {
        c.flushDeployments(Duration.ofSeconds(60));
        Map<String, String> registry = new HashMap<>();
        for (Map<String, String> row : c.registry().orElseThrow().selectResource("deployed-where.rq").rows()) {
            registry.put(row.get("deviceId"), row.get("version"));
        }
        int agree = 0;
        for (int d = 0; d < agents.agents().size(); d++) {
            long serving = servingVersion(agents.agents().get(d));
            String recorded = registry.get(SimulatedFleet.deviceId(d));
            if (serving < 0 ? recorded == null : String.valueOf(serving).equals(recorded)) {
                agree++;
            }
        }
        return (double) agree / agents.agents().size();
    }

    private static Map<String, Object> metric(String name, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("value", value);
        return m;
    }
}
