package io.tinyfed.simulators;

import io.tinyfed.coordinator.rollout.Rollout;
import io.tinyfed.coordinator.rollout.RolloutPlan;
import io.tinyfed.core.Model;
import io.tinyfed.protocol.DeploymentStatus;
import io.tinyfed.simulators.tasks.TaskFamily;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A rollout over a simulated fleet on a simulated clock: the coordinator's own {@link Rollout} state machine
 * (seeded waves, install-success and quality gates, automatic rollback of a failed wave, devices served when they
 * come back) with devices that install as agents do ({@link SimulatedDevice#install}). Events happen in time order,
 * ties in the order they were scheduled, so a seed gives the same rollout every run.
 *
 * <p>Faults, all drawn from the seed: devices {@code offline} when the rollout starts come back at a uniformly
 * random time within two wave timeouts; a device does not answer a deploy with the dropout probability; answers
 * take the fault plan's latency plus one {@code sampleInterval} per shadow sample; malicious devices lie, reporting
 * the candidate ten times worse than they measured (the quality gate's median must hold against them).
 */
final class SimulatedRollout {
    static final String ID = "simulated";

    /**
     * What a rollout did: its final state; devices that serve the version at the end, and that ever served it; those
     * returned to their previous version; how long it took on the simulated clock until it ended.
     */
    record Result(Rollout.State state, int devices, int serving, int exposed, int rolledBack, Duration took) {
        double completedFraction() {
            return (double) serving / devices;
        }

        double exposureFraction() {
            return (double) exposed / devices;
        }
    }

    private record Event(Instant at, long seq, String deviceId, DeploymentStatus status) {
    }

    private final TaskFamily family;
    private final Map<String, SimulatedDevice> devices = new HashMap<>();
    private final InProcessSimulation.Faults faults;
    private final Duration sampleInterval;
    private final float onlineLr;
    private final long seed;

    SimulatedRollout(TaskFamily family, List<SimulatedDevice> fleet, InProcessSimulation.Faults faults,
                     Duration sampleInterval, float onlineLr, long seed) {
        this.family = family;
        fleet.forEach(d -> devices.put(d.id(), d));
        this.faults = faults;
        this.sampleInterval = sampleInterval;
        this.onlineLr = onlineLr;
        this.seed = seed;
    }

    /**
     * Rolls {@code candidate} ({@code modelId} v{@code version}) out to the whole fleet, which serves {@code previous}
     * (v{@code previousVersion}) until then; {@code offline} devices are away when it starts.
     */
    Result run(String modelId, long version, Model candidate, long previousVersion, Model previous, RolloutPlan plan,
               Set<String> offline) {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        Rollout r = Rollout.create(ID, modelId, version, new ArrayList<>(devices.keySet()), plan, seed, t0);
        SplittableRandom faultRandom = new SplittableRandom(seed * 43 + 1);
        PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.at().equals(b.at())
                ? Long.compare(a.seq(), b.seq()) : a.at().compareTo(b.at()));
        long[] seq = {0};
        Map<String, Long> serving = new HashMap<>();
        devices.keySet().forEach(id -> serving.put(id, previousVersion));
        Set<String> away = new HashSet<>(offline);
        Set<String> exposed = new HashSet<>();
        SplittableRandom returns = new SplittableRandom(seed * 47 + 3);
        for (String id : new java.util.TreeSet<>(offline)) {
            long ms = (long) (returns.nextDouble() * 2 * plan.waveTimeout().toMillis());
            events.add(new Event(t0.plusMillis(ms), seq[0]++, id, null)); // null status: the device comes back
        }
        java.util.function.BiConsumer<List<Rollout.Command>, Instant> send = (commands, now) -> {
            for (Rollout.Command c : commands) {
                if (away.contains(c.deviceId()) || faultRandom.nextDouble() < faults.dropout()) {
                    continue; // not there, or the deploy is lost: the rollout's timeout and return logic handle it
                }
                SimulatedDevice d = devices.get(c.deviceId());
                Duration latency = faults.latency(faultRandom);
                DeploymentStatus s;
                if (c.kind() == Rollout.Command.Kind.ROLLBACK) {
                    serving.put(d.id(), previousVersion);
                    s = status(d.id(), c.wave(), DeploymentStatus.State.ROLLED_BACK, modelId, previousVersion, -1, version,
                            "rolled back by the coordinator", null, plan);
                } else {
                    SimulatedDevice.ShadowFigures f = d.install(family, candidate, previous, plan.personaliseSteps(),
                            plan.personaliseLearningRate(), plan.shadowSamples(), onlineLr,
                            new SplittableRandom(seed * 53 + d.id().hashCode()));
                    serving.put(d.id(), version);
                    exposed.add(d.id());
                    latency = latency.plus(sampleInterval.multipliedBy(plan.shadowSamples()));
                    s = status(d.id(), c.wave(), DeploymentStatus.State.SERVING, modelId, version, previousVersion, version,
                            "", f, plan);
                }
                events.add(new Event(now.plus(latency), seq[0]++, d.id(), s));
            }
        };
        send.accept(r.start(t0), t0);
        Instant now = t0;
        Instant ended = null;
        // Until nothing more happens: after the rollout ends, answers on their way (and devices coming back) still
        // arrive, and a device that installs after its wave was rolled back is sent back too.
        while (true) {
            Instant deadline = openDeadline(r.state());
            Event next = events.peek();
            if (deadline != null && (next == null || !deadline.isAfter(next.at()))) {
                now = deadline;
                send.accept(r.onTick(now), now);
                if (ended == null && !r.phase().active()) {
                    ended = now;
                }
                continue;
            }
            if (next == null) {
                break;
            }
            events.poll();
            now = next.at();
            if (next.status() == null) {
                away.remove(next.deviceId());
                send.accept(r.onDeviceOnline(next.deviceId(), now), now);
            } else {
                send.accept(r.onStatus(next.status(), now), now);
            }
            if (ended == null && !r.phase().active()) {
                ended = now;
            }
        }
        Instant end = ended != null ? ended : now;
        Rollout.State s = r.state();
        int servingNow = (int) serving.values().stream().filter(v -> v == version).count();
        int rolledBack = (int) s.devices().stream().filter(d -> d.step() == Rollout.Step.ROLLED_BACK).count();
        return new Result(s, devices.size(), servingNow, exposed.size(), rolledBack, Duration.between(t0, end));
    }

    private static Instant openDeadline(Rollout.State s) {
        if (s.phase() != Rollout.Phase.RUNNING) {
            return null;
        }
        Rollout.Wave w = s.waves().get(s.currentWave());
        return w.opened() != null && w.closed() == null ? w.deadline() : null;
    }

    private static DeploymentStatus status(String deviceId, int wave, DeploymentStatus.State state, String modelId,
                                           long serving, long previous, long target, String reason,
                                           SimulatedDevice.ShadowFigures f, RolloutPlan plan) {
        return new DeploymentStatus(deviceId, ID, wave, state, modelId, serving, previous, target, reason,
                f == null ? 0 : plan.shadowSamples(), f == null ? Double.NaN : f.candidate(),
                f == null ? Double.NaN : f.previous(), f != null && f.personalised(), f == null ? null : f.format(),
                f == null ? Double.NaN : f.generic());
    }
}
