package io.tinyfed.coordinator.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.coordinator.rollout.Rollout.Command;
import io.tinyfed.coordinator.rollout.Rollout.Phase;
import io.tinyfed.coordinator.rollout.Rollout.Step;
import io.tinyfed.protocol.DeploymentStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RolloutTest {
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    private static final RolloutPlan PLAN = new RolloutPlan(List.of(0.05, 0.5, 1.0), Duration.ofMinutes(2), 0.9, 1.05,
            20, 0, 0.01f);
    private static final List<String> FLEET = IntStream.range(0, 20).mapToObj(i -> String.format("d%02d", i)).toList();

    private static DeploymentStatus serving(String device, double candidate, double previous) {
        return new DeploymentStatus(device, "r1", 0, DeploymentStatus.State.SERVING, "sine", 7, 3, 7, "", 20, candidate,
                previous, false, io.tinyfed.core.NumberFormat.F32);
    }

    private static DeploymentStatus report(String device, DeploymentStatus.State state) {
        return new DeploymentStatus(device, "r1", 0, state, "sine", 3, -1, 7, state == DeploymentStatus.State.FAILED
                ? "does not fit" : "", 0, Double.NaN, Double.NaN, false, null);
    }

    private static List<String> devices(List<Command> commands, Command.Kind kind) {
        return commands.stream().filter(c -> c.kind() == kind).map(Command::deviceId).toList();
    }

    @Test
    void create_cutsTheTargetIntoWavesInASeededOrder() {
        Rollout a = Rollout.create("r1", "sine", 7, FLEET, PLAN, 42, T0);
        Rollout b = Rollout.create("r1", "sine", 7, FLEET, PLAN, 42, T0);
        Rollout c = Rollout.create("r1", "sine", 7, FLEET, PLAN, 43, T0);

        assertThat(a.state().waves()).extracting(Rollout.Wave::end).containsExactly(1, 10, 20);
        assertThat(a.state().devices()).isEqualTo(b.state().devices());
        assertThat(a.state().devices()).isNotEqualTo(c.state().devices());
        assertThat(PLAN.waveEnds(2)).containsExactly(1, 2, 2);
        assertThat(Rollout.create("r1", "sine", 7, List.of("x", "y"), PLAN, 1, T0).state().waves()).hasSize(2);
        assertThatThrownBy(() -> Rollout.create("r1", "sine", 7, List.of(), PLAN, 1, T0))
                .hasMessageContaining("no target devices");
    }

    @Test
    void goodVersion_passesEveryWaveAndSucceeds() {
        Rollout r = Rollout.create("r1", "sine", 7, FLEET, PLAN, 42, T0);
        List<Command> sent = new ArrayList<>(r.start(T0));
        for (int i = 0; i < 50 && r.phase() == Phase.RUNNING; i++) {
            List<Command> batch = List.copyOf(sent);
            sent.clear();
            for (Command c : batch) {
                sent.addAll(r.onStatus(serving(c.deviceId(), 0.9, 1.0), T0.plusSeconds(1)));
            }
        }

        assertThat(r.phase()).isEqualTo(Phase.SUCCEEDED);
        assertThat(r.state().counts()).containsEntry(Step.SERVING, 20);
        assertThat(r.state().waves()).allSatisfy(w -> assertThat(w.verdict()).startsWith("passed"));
        assertThat(r.state().waves().get(0).medianLossRatio()).isEqualTo(0.9, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void badVersion_failsTheCanaryGate_rollsBackOnlyTheCanary_andNoLaterWaveReceivesIt() {
        Rollout r = Rollout.create("r1", "sine", 7, FLEET, PLAN, 42, T0);
        List<Command> canary = r.start(T0);
        assertThat(canary).hasSize(1);

        List<Command> after = r.onStatus(serving(canary.get(0).deviceId(), 1.6, 1.0), T0.plusSeconds(5));

        assertThat(r.phase()).isEqualTo(Phase.FAILED);
        assertThat(devices(after, Command.Kind.ROLLBACK)).containsExactly(canary.get(0).deviceId());
        assertThat(devices(after, Command.Kind.INSTALL)).isEmpty();
        assertThat(r.state().reason()).contains("worse than what the devices served").contains("1.600");
        r.onStatus(report(canary.get(0).deviceId(), DeploymentStatus.State.ROLLED_BACK), T0.plusSeconds(6));
        assertThat(r.state().counts()).containsEntry(Step.ROLLED_BACK, 1).containsEntry(Step.PENDING, 19);
        assertThat(r.onTick(T0.plusSeconds(600))).isEmpty();
        assertThat(r.onDeviceOnline(FLEET.get(0), T0.plusSeconds(601))).isEmpty();
    }

    @Test
    void offlineDevice_timesOutWithoutFailingTheWave_andGetsTheVersionWhenItReturns() {
        RolloutPlan lenient = new RolloutPlan(List.of(0.5, 1.0), Duration.ofMinutes(2), 0.8, 1.05, 20, 0, 0.01f);
        Rollout r = Rollout.create("r1", "sine", 7, FLEET, lenient, 42, T0);
        List<Command> first = r.start(T0);
        String offline = first.get(0).deviceId();
        for (Command c : first.subList(1, first.size())) {
            r.onStatus(serving(c.deviceId(), 1.0, 1.0), T0.plusSeconds(1));
        }
        assertThat(r.currentWave()).isZero();

        List<Command> next = r.onTick(T0.plus(Duration.ofMinutes(2)));

        assertThat(r.state().waves().get(0).verdict()).startsWith("passed: installed 9/10");
        assertThat(next).hasSize(10).allMatch(c -> c.wave() == 1);
        assertThat(r.state().devices()).filteredOn(d -> d.id().equals(offline)).extracting(Rollout.Device::step)
                .containsExactly(Step.TIMED_OUT);
        assertThat(r.onDeviceOnline(offline, T0.plus(Duration.ofMinutes(3))))
                .containsExactly(new Command(offline, 0, Command.Kind.INSTALL));
    }

    @Test
    void tooFewInstalls_failTheWave() {
        Rollout r = Rollout.create("r1", "sine", 7, FLEET, PLAN, 42, T0);
        r.start(T0);
        List<Command> second = r.onStatus(serving(r.state().devices().get(0).id(), 1.0, 1.0), T0.plusSeconds(1));
        for (Command c : second.subList(0, 5)) {
            r.onStatus(serving(c.deviceId(), 1.0, 1.0), T0.plusSeconds(2));
        }
        r.onStatus(report(second.get(5).deviceId(), DeploymentStatus.State.FAILED), T0.plusSeconds(2));

        List<Command> after = r.onTick(T0.plus(Duration.ofMinutes(3)));

        assertThat(r.phase()).isEqualTo(Phase.FAILED);
        assertThat(r.state().reason()).contains("too few devices installed").contains("installed 5/9");
        assertThat(devices(after, Command.Kind.ROLLBACK)).hasSize(5);
        assertThat(r.state().decisions()).extracting(Rollout.Decision::text).anyMatch(t -> t.contains("refused: does not fit"));
    }

    @Test
    void pauseHoldsTheWaveAndResumeMovesItsDeadline_abortAndRollbackAreFinal() {
        Rollout r = Rollout.create("r1", "sine", 7, FLEET, PLAN, 42, T0);
        String canary = r.start(T0).get(0).deviceId();
        r.pause(T0.plusSeconds(10));
        assertThat(r.onStatus(serving(canary, 1.0, 1.0), T0.plusSeconds(11))).isEmpty();
        assertThat(r.currentWave()).isZero();

        List<Command> resumed = r.resume(T0.plusSeconds(70));

        assertThat(resumed).hasSize(9);
        assertThat(r.state().waves().get(1).deadline()).isEqualTo(T0.plusSeconds(70).plus(PLAN.waveTimeout()));
        assertThatThrownBy(() -> r.resume(T0)).hasMessageContaining("only a paused rollout can be resumed");
        List<Command> back = r.rollback(T0.plusSeconds(80));
        assertThat(devices(back, Command.Kind.ROLLBACK)).containsExactly(canary);
        assertThat(r.phase()).isEqualTo(Phase.ROLLED_BACK);
        // a device of the open wave that installs after the rollback is sent back too
        List<Command> late = r.onStatus(serving(resumed.get(0).deviceId(), 1.0, 1.0), T0.plusSeconds(90));
        assertThat(devices(late, Command.Kind.ROLLBACK)).containsExactly(resumed.get(0).deviceId());
        assertThatThrownBy(() -> r.abort(T0)).hasMessageContaining("only a running or paused rollout");
    }

    @Test
    void aRefusalAfterTheInstall_isNotedOnceButDoesNotUndoIt() {
        Rollout r = Rollout.create("r1", "sine", 7, FLEET, PLAN, 42, T0);
        String canary = r.start(T0).get(0).deviceId();
        r.onStatus(serving(canary, 1.0, 1.0), T0.plusSeconds(1));
        int decisions = r.state().decisions().size();

        List<Command> after = r.onStatus(report(canary, DeploymentStatus.State.FAILED), T0.plusSeconds(2));
        for (int k = 0; k < 100; k++) { // a flood of forged deploys naming this rollout
            assertThat(r.onStatus(report(canary, DeploymentStatus.State.FAILED), T0.plusSeconds(3 + k))).isEmpty();
        }

        assertThat(after).isEmpty();
        assertThat(r.state().devices()).filteredOn(d -> d.id().equals(canary)).extracting(Rollout.Device::step)
                .containsExactly(Step.SERVING);
        assertThat(r.state().decisions()).hasSize(decisions + 1).extracting(Rollout.Decision::text)
                .anyMatch(t -> t.startsWith(canary + " refused a deploy naming this rollout: does not fit"));
    }

    @Test
    void restore_continuesWhereThePersistedStateWas_withoutSendingAFinishedWaveAgain() {
        Rollout r = Rollout.create("r1", "sine", 7, FLEET, PLAN, 42, T0);
        String canary = r.start(T0).get(0).deviceId();
        List<Command> second = r.onStatus(serving(canary, 1.0, 1.0), T0.plusSeconds(1));

        Rollout restored = Rollout.restore(r.state());

        assertThat(restored.state()).isEqualTo(r.state());
        assertThat(restored.onDeviceOnline(canary, T0.plusSeconds(2))).isEmpty();
        assertThat(restored.onDeviceOnline(second.get(0).deviceId(), T0.plusSeconds(2))).hasSize(1);
        assertThat(restored.currentWave()).isEqualTo(1);
    }
}
