package io.tinyfed.simulators;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.simulators.tasks.SineFamily;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The simulation on both transports: deterministic for a seed, faults reach the coordinator's (or the gateways')
 * counters, and over MQTT the coordinator aggregates one pre-aggregated update per gateway.
 */
class SimulateCommandTest {
    @TempDir
    Path dir;

    /** An in-process sine fleet of F32 (gateway-profile) devices, 10 samples each, lr 0.02. */
    private InProcessSimulation gatewayFleet(int devices, int perRound, int rounds, int innerSteps,
                                             InProcessSimulation.Faults faults, long seed) throws Exception {
        return new InProcessSimulation(dir.resolve("fleet-" + seed), SineFamily.FAMILY, Model.initialize(SineFamily.ARCHITECTURE,
                1), new RoundEngine.Settings("sine", innerSteps, 0.02f, 10, java.time.Duration.ofSeconds(10), 1.0, 1, 1e3, seed),
                new ReptileStrategy(1.0, true, rounds, Selection.count(perRound)), devices,
                List.of(HardwareProfile.load("gateway")), 10, faults, seed);
    }

    private SimulateCommand command(String... extra) {
        SimulateCommand c = new SimulateCommand();
        String[] base = {"--devices", "12", "--rounds", "8", "--per-round", "4", "--eval-every", "4", "--inner-steps", "8",
            "--profiles", "cortex-m4,gateway,cortex-m0", "--out", dir.toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        CommandLine cli = new CommandLine(c);
        cli.setOverwrittenOptionsAllowed(true); // the extra arguments override the base ones
        cli.parseArgs(args);
        return c;
    }

    @Test
    void sameSeed_givesTheSameRounds() throws Exception {
        List<SimulateCommand.Row> first = command("--seed", "5", "--dropout", "0.25").run();
        List<SimulateCommand.Row> second = command("--seed", "5", "--dropout", "0.25").run();
        List<SimulateCommand.Row> other = command("--seed", "6", "--dropout", "0.25").run();

        assertThat(first).hasSize(8).isEqualTo(second);
        assertThat(other).isNotEqualTo(first);
        assertThat(first.get(7).adapted()).isFinite();
    }

    /**
     * A rollout after the rounds, in process: the final meta-model passes every wave's gates (personalised, compared
     * in shadow with the initial version the fleet served) even with lying devices below half a wave; the initial
     * version over the final one fails the canary's quality gate, only the canary ever served it and it is rolled
     * back; the same seed gives the same rollout.
     */
    @Test
    void rollout_goodVersionPassesEveryWave_badVersionStopsAtTheCanary_sameSeedSameRollout() throws Exception {
        String[] rollout = {"--devices", "60", "--profiles", "gateway,cortex-m4", "--rounds", "30", "--per-round", "10",
            "--inner-steps", "32", "--waves", "10%,50%,100%", "--personalise-steps", "16", "--shadow-samples", "30",
            "--seed", "4"};
        SimulateCommand good = command(concat(rollout, "--rollout", "final", "--malicious", "0.1"));
        good.run();
        SimulatedRollout.Result g = good.rolloutResult();
        assertThat(g.state().phase()).as("%s", g.state().decisions()).isEqualTo(io.tinyfed.coordinator.rollout.Rollout.Phase.SUCCEEDED);
        assertThat(g.completedFraction()).isEqualTo(1.0);
        assertThat(g.state().waves()).allSatisfy(w -> assertThat(w.medianLossRatio()).isLessThan(1.0));
        assertThat(g.state().medianPersonalisationGain()).isGreaterThan(1.0);

        SimulateCommand bad = command(concat(rollout, "--rollout", "initial"));
        bad.run();
        SimulatedRollout.Result b = bad.rolloutResult();
        assertThat(b.state().phase()).isEqualTo(io.tinyfed.coordinator.rollout.Rollout.Phase.FAILED);
        assertThat(b.state().reason()).contains("wave 1 failed").contains("worse than what the devices served");
        assertThat(b.exposed()).isEqualTo(6).isEqualTo(b.rolledBack());
        assertThat(b.serving()).isZero();

        SimulateCommand again = command(concat(rollout, "--rollout", "initial"));
        again.run();
        assertThat(again.rolloutResult().state()).isEqualTo(b.state());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void rollout_overMqtt_orWithAnUnknownVersion_orAnUnknownAttackOrAggregation_isAOneLineUsageError() {
        for (String[] args : new String[][] {{"--rollout", "final", "--transport", "mqtt", "--gateways", "0"}, {"--rollout", "newest"},
            {"--rollout", "final", "--waves", "50%"}, {"--attack", "loud"}, {"--aggregation", "avg"}}) {
            java.io.StringWriter err = new java.io.StringWriter();
            CommandLine cli = new CommandLine(new SimulateCommand()).setErr(new java.io.PrintWriter(err));
            assertThat(cli.execute(concat(args, "--devices", "4", "--rounds", "1", "--out", dir.toString()))).isEqualTo(2);
            assertThat(err.toString()).doesNotContain("Exception").contains("--");
        }
    }

    @Test
    void maliciousNanUpdates_areRefusedByTheCoordinator() throws Exception {
        List<SimulateCommand.Row> rows = command("--malicious", "0.5", "--attack", "nan", "--seed", "3").run();

        assertThat(rows.stream().mapToInt(SimulateCommand.Row::rejected).sum()).isPositive();
        // A refused device has not contributed: the engine lists it among the round's stragglers too.
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.accepted() + r.stragglers()).isEqualTo(r.selected());
            assertThat(r.rejected()).isLessThanOrEqualTo(r.stragglers());
        });
    }

    @Test
    void mqttTransport_gatewaysPreAggregateTheirDevicesOverTheEmbeddedBroker() throws Exception {
        String[] mqtt = {"--transport", "mqtt", "--devices", "40", "--gateways", "4", "--per-round", "2", "--per-gateway", "5",
            "--rounds", "4", "--eval-every", "2", "--seed", "9"};
        SimulateCommand first = command(mqtt);
        List<SimulateCommand.Row> rows = first.run();
        List<SimulateCommand.Row> again = command(mqtt).run();

        assertThat(rows).hasSize(4).allSatisfy(r -> {
            assertThat(r.selected()).isEqualTo(2);
            assertThat(r.accepted()).isEqualTo(2);
            assertThat(r.deviceUpdates()).isEqualTo(10);
            assertThat(r.rejected()).isZero();
        });
        assertThat(rows.get(3).adapted()).isFinite();
        // Two gateway updates per round: their sum does not depend on which arrives first, so the runs agree exactly.
        assertThat(again).isEqualTo(rows);
    }

    /**
     * Compressed updates through gateways: each device sends the top 10% of its delta as int8 to its gateway, the gateway
     * sums what it received and sends the top 10% of that, each keeping what it did not send; the coordinator takes
     * every gateway update, and a gateway's uplink is a tenth of its dense F32 one's size or less.
     */
    @Test
    void mqttTransport_gatewaysSumCompressedUpdatesAndSendTheirsCompressed() throws Exception {
        String[] mqtt = {"--transport", "mqtt", "--devices", "40", "--gateways", "4", "--per-round", "2", "--per-gateway", "5",
            "--rounds", "4", "--eval-every", "2", "--seed", "9"};
        SimulateCommand dense = command(mqtt);
        dense.run();
        SimulateCommand compressed = command(concat(mqtt, "--uplink-top", "10"));
        List<SimulateCommand.Row> rows = compressed.run();

        assertThat(rows).hasSize(4).allSatisfy(r -> {
            assertThat(r.accepted()).isEqualTo(2);
            assertThat(r.deviceUpdates()).isEqualTo(10);
            assertThat(r.rejected()).isZero();
        });
        assertThat(rows.get(3).adapted()).isFinite();
        assertThat(compressed.refusedAtGateways()).isEmpty();
        assertThat(compressed.uplinkBytesPerUpdate()).isLessThan(dense.uplinkBytesPerUpdate() / 10);
    }

    @Test
    void uplinkAndDownlinkTop_inProcess_compressedUpdatesTakenAndVersionsRebuiltFromDeltas() throws Exception {
        SimulateCommand c = command("--uplink-top", "5", "--downlink-top", "10");
        List<SimulateCommand.Row> rows = c.run();

        assertThat(rows).hasSize(8).allSatisfy(r -> assertThat(r.rejected()).isZero());
        // 5% of 1,761 values: 88 int8 values, their gaps, 3 block scales and the header.
        assertThat(c.uplinkBytesPerUpdate()).isBetween(150.0, 300.0);
        // The first version whole (7,173 B), the 8 after it as verified deltas of about 500 B each.
        assertThat(c.downlinkBytesPerVersion()).isBetween(300.0, 7_173.0 / 4);
    }

    @Test
    void mqttTransport_async_theCoordinatorMakesAVersionFromEveryKGatewayUpdates() throws Exception {
        SimulateCommand c = command("--transport", "mqtt", "--devices", "40", "--gateways", "4", "--per-gateway", "5",
                "--rounds", "4", "--eval-every", "2", "--async", "2", "--async-concurrency", "3", "--seed", "9");
        List<SimulateCommand.Row> rows = c.run();

        assertThat(rows).hasSize(4).allSatisfy(r -> {
            assertThat(r.accepted()).isBetween(1, 2);
            assertThat(r.rejected()).isZero();
        });
        assertThat(rows.get(3).adapted()).isFinite();
    }

    @Test
    void mqttTransport_slowAndComingAndGoingGateways_asyncRoundsStillCompleteAndGatewaysLeave() throws Exception {
        SimulateCommand c = command("--transport", "mqtt", "--devices", "20", "--gateways", "4", "--per-gateway", "5",
                "--rounds", "4", "--eval-every", "2", "--async", "2", "--async-concurrency", "3", "--slow-fraction", "0.5",
                "--slow-factor", "4", "--answer-time", "0.1", "--availability", "0.6", "--availability-cycle", "2",
                "--round-timeout", "2", "--seed", "9");
        List<SimulateCommand.Row> rows = c.run();

        assertThat(rows).hasSize(4).allSatisfy(r -> assertThat(r.rejected()).isZero());
        assertThat(rows.get(3).adapted()).isFinite();
        assertThat(c.disconnects()).as("gateways left the broker").isPositive();
    }

    @Test
    void async_onTheSimulatedClock_makesVersionsFromBufferedUpdates_sameSeedSameRun() throws Exception {
        String[] async = {"--devices", "30", "--rounds", "12", "--async", "4", "--slow-fraction", "0.33",
            "--availability", "0.5", "--seed", "5"};
        SimulateCommand first = command(async);
        List<SimulateCommand.Row> rows = first.run();
        List<SimulateCommand.Row> again = command(async).run();

        // Four updates a version; a fast device may send two of them (accepted counts devices).
        assertThat(rows).hasSize(12).allSatisfy(r -> assertThat(r.accepted()).isBetween(2, 4));
        assertThat(rows).extracting(SimulateCommand.Row::round).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        assertThat(rows.get(11).adapted()).isFinite();
        assertThat(again).isEqualTo(rows);
        assertThat(first.simulatedSeconds()).isPositive();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> command("--async", "0").run())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--async K needs K >= 1");
    }

    /**
     * Over MQTT with gateways: the coordinator's deployments send signed deploys to the gateways; the trained version
     * passes every wave, and the initial version over it fails at the canary gateway, which is rolled back.
     */
    @Test
    void mqttTransport_rolloutsGoToTheGateways_goodPasses_badStopsAtTheCanary() throws Exception {
        String[] mqtt = {"--transport", "mqtt", "--devices", "40", "--gateways", "4", "--per-round", "4", "--per-gateway",
            "10", "--rounds", "20", "--inner-steps", "32", "--eval-every", "20", "--seed", "9", "--waves", "25%,100%",
            "--wave-timeout", "60s", "--personalise-steps", "16", "--shadow-samples", "30"};
        SimulateCommand good = command(concat(mqtt, "--rollout", "final"));
        good.run();
        SimulatedRollout.Result g = good.rolloutResult();
        assertThat(g.state().phase()).as("%s", g.state().decisions())
                .isEqualTo(io.tinyfed.coordinator.rollout.Rollout.Phase.SUCCEEDED);
        assertThat(g.serving()).isEqualTo(4);
        assertThat(g.state().devices()).allSatisfy(d -> assertThat(d.lossRatio()).isLessThan(1.0));

        SimulateCommand bad = command(concat(mqtt, "--rollout", "initial"));
        bad.run();
        SimulatedRollout.Result b = bad.rolloutResult();
        assertThat(b.state().phase()).isEqualTo(io.tinyfed.coordinator.rollout.Rollout.Phase.FAILED);
        assertThat(b.state().reason()).contains("wave 1 failed").contains("worse than what the devices served");
        assertThat(b.exposed()).isEqualTo(1).isEqualTo(b.rolledBack());
        assertThat(b.state().devices()).filteredOn(d -> d.step() == io.tinyfed.coordinator.rollout.Rollout.Step.ROLLED_BACK)
                .singleElement().satisfies(d -> assertThat(d.servingVersion()).isGreaterThan(1L)); // back on the final version
    }

    @Test
    void mqttTransport_nanDevicesAreRefusedAtTheirGatewayAndTheRestStillCounts() throws Exception {
        SimulateCommand c = command("--transport", "mqtt", "--devices", "20", "--gateways", "2", "--per-round", "2",
                "--per-gateway", "10", "--rounds", "2", "--malicious", "0.2", "--attack", "nan", "--seed", "4");

        List<SimulateCommand.Row> rows = c.run();

        assertThat(c.refusedAtGateways()).containsEntry("NON_FINITE", 8L); // 4 attackers x 2 rounds, all asked
        assertThat(rows).allSatisfy(r -> assertThat(r.deviceUpdates()).isEqualTo(16));
        assertThat(rows.stream().mapToInt(SimulateCommand.Row::rejected).sum()).isZero();
    }

    @Test
    void digitsFamily_runsInProcessAndScoresAccuracy() throws Exception {
        List<SimulateCommand.Row> rows = command("--family", "digits", "--seed", "2").run();

        assertThat(rows).hasSize(8);
        assertThat(rows.get(7).adapted()).isBetween(0.2, 1.0);
    }

    @Test
    void latency_answersAfterTheDeadlineAreRefusedAsLateAndTheRunRepeats() throws Exception {
        SimulateCommand c = command("--latency", "6", "--round-timeout", "10", "--seed", "7");
        List<SimulateCommand.Row> rows = c.run();
        long late = c.rejectedByReason().getOrDefault("LATE", 0L);

        // Exponential with mean 6 s: P(latency >= 10 s) = e^(-10/6) = 19% of 32 answers
        assertThat(late).isBetween(1L, 20L);
        assertThat(rows.stream().mapToInt(SimulateCommand.Row::stragglers).sum()).isEqualTo((int) late);
        assertThat(command("--latency", "6", "--round-timeout", "10", "--seed", "7").run()).isEqualTo(rows);
    }

    @Test
    void disconnects_takeDevicesOutOfSelectionUntilTheyReconnect() throws Exception {
        InProcessSimulation sim = gatewayFleet(12, 6, 30, 4, new InProcessSimulation.Faults(0, 0,
                InProcessSimulation.Attack.SCALED, java.time.Duration.ZERO, 0.3, 2), 3);
        java.util.Set<String> everOffline = new java.util.HashSet<>();
        java.util.Set<String> selectedAfterComingBack = new java.util.HashSet<>();

        for (int k = 0; k < 30; k++) {
            RoundEngine.RoundSummary s = sim.round();
            java.util.Set<String> offline = sim.offlineDevices();
            if (s != null) {
                assertThat(s.selected()).noneMatch(offline::contains);
                s.selected().stream().filter(everOffline::contains).forEach(selectedAfterComingBack::add);
            }
            everOffline.addAll(offline);
        }

        assertThat(everOffline).hasSizeGreaterThan(6);
        assertThat(selectedAfterComingBack).as("devices reconnect and are selected again").isNotEmpty();
    }

    @Test
    void mqttTransport_gatewaysThatDisconnectComeBackAndRoundsGoOn() throws Exception {
        SimulateCommand c = command("--transport", "mqtt", "--devices", "40", "--gateways", "4", "--per-round", "2",
                "--per-gateway", "5", "--rounds", "5", "--disconnect", "0.4", "--offline-rounds", "1", "--round-timeout", "3",
                "--seed", "5");

        List<SimulateCommand.Row> rows = c.run();

        assertThat(rows).hasSize(5);
        assertThat(c.disconnects()).isPositive();
        assertThat(rows.stream().mapToInt(SimulateCommand.Row::accepted).sum()).isPositive();
    }

    @Test
    void mqttTransport_withoutGateways_everyDeviceIsARealAgent() throws Exception {
        String[] agents = {"--transport", "mqtt", "--gateways", "0", "--devices", "6", "--per-round", "2", "--rounds", "3",
            "--eval-every", "3", "--seed", "6"};
        List<SimulateCommand.Row> rows = command(agents).run();

        assertThat(rows).hasSize(3).allSatisfy(r -> {
            assertThat(r.accepted()).isEqualTo(2);
            assertThat(r.deviceUpdates()).isEqualTo(2);
            assertThat(r.rejected()).isZero();
        });
        assertThat(rows.get(2).adapted()).isFinite();
        assertThat(command(agents).run()).as("two updates a round: the same sums in any order").isEqualTo(rows);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> command("--transport", "mqtt", "--gateways", "0",
                "--dropout", "0.2").run()).hasMessageContaining("injects no faults");
    }

    @Test
    void quarantine_attackersThatKeepStandingOutAreNoLongerAsked() throws Exception {
        InProcessSimulation sim = gatewayFleet(16, 8, 40, 8, new InProcessSimulation.Faults(0, 0.25,
                InProcessSimulation.Attack.SIGN_FLIPPED), 4);
        sim.engine().setQuarantine(new io.tinyfed.core.Quarantine(3.0, 2));
        java.util.Set<String> before = java.util.Set.of();

        for (int k = 0; k < 40; k++) {
            RoundEngine.RoundSummary s = sim.round();
            java.util.Set<String> quarantinedBefore = before;
            assertThat(s.selected()).noneMatch(quarantinedBefore::contains);
            before = sim.engine().quarantinedDevices();
        }

        // 4 attackers (sim-00000..00003) sending -5x their delta; one whose own task is a small curve stays under
        // 3x the median norm (clipping bounds what it does), and no honest device is caught here
        assertThat(sim.engine().quarantinedDevices()).hasSize(3)
                .isSubsetOf("sim-00000", "sim-00001", "sim-00002", "sim-00003");
    }

    /**
     * Asynchronous rounds keep the defences: the same attackers, sending -5x their delta whenever they are asked, are
     * quarantined and asked no more, and the meta-model still learns; honest devices stay in.
     */
    @Test
    void async_attackersAreQuarantinedAndNoLongerAsked() throws Exception {
        InProcessSimulation sim = gatewayFleet(16, 8, 40, 8, new InProcessSimulation.Faults(0, 0.25,
                InProcessSimulation.Attack.SIGN_FLIPPED), 4);
        sim.engine().setQuarantine(new io.tinyfed.core.Quarantine(3.0, 2));
        sim.engine().setAsync(new RoundEngine.AsyncSettings(6, 4, 10));
        java.util.List<java.util.Set<String>> quarantinedAtRound = new java.util.ArrayList<>();

        sim.runTimed(InProcessSimulation.Timing.PROMPT, 40, java.time.Duration.ofHours(1),
                seconds -> quarantinedAtRound.add(sim.engine().quarantinedDevices()));

        java.util.Set<String> caught = sim.engine().quarantinedDevices();
        assertThat(caught).isNotEmpty().isSubsetOf("sim-00000", "sim-00001", "sim-00002", "sim-00003");
        // Once a device is quarantined no later version counts an update of it, not even one already in flight.
        List<RoundEngine.RoundSummary> history = sim.engine().history();
        assertThat(history).hasSize(40);
        for (int r = 1; r < history.size(); r++) {
            java.util.Set<String> before = quarantinedAtRound.get(r - 1);
            assertThat(history.get(r).accepted()).as("round %d", r + 1).noneMatch(before::contains);
        }
    }
}
