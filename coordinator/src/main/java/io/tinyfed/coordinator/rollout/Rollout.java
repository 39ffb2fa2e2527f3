package io.tinyfed.coordinator.rollout;

import io.tinyfed.protocol.DeploymentStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One rollout of a model version to a set of devices, as a state machine: waves open one after
 * another; every device of an open wave is sent the version; a wave closes when all its devices
 * have settled (serving with final shadow figures, or failed) or at its deadline, and then passes
 * its gates (install success, median shadow loss ratio) or fails the rollout, which rolls that wave
 * back to the version each device served before. Operators pause, resume, abort or roll back.
 *
 * <p>Transport-free and clock-free: every entry point takes the time and returns the
 * {@link Command}s to send, so tests drive it deterministically and the caller persists
 * {@link #state()} before sending. A finished wave is never sent again; a device of an open or
 * finished wave that was offline is sent the version when it comes back, while the rollout runs.
 * Not thread-safe: the owner serialises calls.
 */
public final class Rollout {
    /** Where the rollout is. */
    public enum Phase {
        RUNNING, PAUSED, SUCCEEDED, FAILED, ABORTED, ROLLED_BACK;

        /** Running or paused: it may still send versions. */
        public boolean active() {
            return this == RUNNING || this == PAUSED;
        }
    }

    /** Where one device is. */
    public enum Step { PENDING, SENT, SHADOWING, SERVING, FAILED, TIMED_OUT, ROLLBACK_SENT, ROLLED_BACK }

    /** Something to send to a device. */
    public record Command(String deviceId, int wave, Kind kind) {
        public enum Kind { INSTALL, ROLLBACK }
    }

    /**
     * One device of the rollout; losses are NaN until reported, {@code servingVersion} -1 until known;
     * {@code genericLoss} is the version's loss without personalisation (NaN unless personalised).
     */
    public record Device(String id, int wave, Step step, Instant sentAt, Instant reportedAt, String reason,
                         int shadowSamples, double candidateLoss, double previousLoss, boolean personalised,
                         long servingVersion, long previousVersion, double genericLoss) {
        /** Candidate loss over previous loss, NaN when not both measured. */
        public double lossRatio() {
            return previousLoss > 0 && !Double.isNaN(candidateLoss) ? candidateLoss / previousLoss : Double.NaN;
        }

        /** What personalising gained: the version's loss as released over its personalised loss; NaN unless both measured. */
        public double personalisationGain() {
            return genericLoss > 0 && candidateLoss > 0 ? genericLoss / candidateLoss : Double.NaN;
        }
    }

    /**
     * One wave: {@code end} is the cumulative device count; {@code closed} and the measured gate
     * values are null while it is open.
     */
    public record Wave(int index, int end, Instant opened, Instant deadline, Instant closed, Double installedFraction,
                       Double medianLossRatio, Integer compared, String verdict) {
    }

    /** A decision with its reason, in the order taken. */
    public record Decision(Instant at, String text) {
    }

    /** Everything the rollout is, for persistence and display. */
    public record State(String id, String modelId, long version, RolloutPlan plan, Phase phase, String reason,
                        Instant created, Instant pausedAt, List<Wave> waves, List<Device> devices,
                        List<Decision> decisions) {
        public State {
            waves = List.copyOf(waves);
            devices = List.copyOf(devices);
            decisions = List.copyOf(decisions);
        }

        /** The wave being worked on: the first one not closed (the last one once all are). */
        public int currentWave() {
            return Rollout.currentWave(waves);
        }

        /** The median over devices of {@link Device#personalisationGain()}; NaN when no device measured it. */
        public double medianPersonalisationGain() {
            List<Double> gains = new ArrayList<>();
            for (Device d : devices) {
                if (!Double.isNaN(d.personalisationGain())) {
                    gains.add(d.personalisationGain());
                }
            }
            return gains.isEmpty() ? Double.NaN : median(gains);
        }

        /** Devices that measured a personalisation gain. */
        public long personalisationGainsMeasured() {
            return devices.stream().filter(d -> !Double.isNaN(d.personalisationGain())).count();
        }

        /** Devices per step. */
        public Map<Step, Integer> counts() {
            Map<Step, Integer> out = new EnumMap<>(Step.class);
            for (Device d : devices) {
                out.merge(d.step(), 1, Integer::sum);
            }
            return out;
        }
    }

    private final String id;
    private final String modelId;
    private final long version;
    private final RolloutPlan plan;
    private final Instant created;
    private Phase phase;
    private String reason;
    private Instant pausedAt;
    private final List<Wave> waves;
    private final Map<String, Device> devices;
    private final List<Decision> decisions;

    private Rollout(State s) {
        this.id = s.id();
        this.modelId = s.modelId();
        this.version = s.version();
        this.plan = s.plan();
        this.created = s.created();
        this.phase = s.phase();
        this.reason = s.reason();
        this.pausedAt = s.pausedAt();
        this.waves = new ArrayList<>(s.waves());
        this.devices = new LinkedHashMap<>();
        for (Device d : s.devices()) {
            devices.put(d.id(), d);
        }
        this.decisions = new ArrayList<>(s.decisions());
    }

    /**
     * A new rollout, not yet started: {@code targets} in a seeded random order, cut into the plan's
     * waves (the canary is a random sample of the target, the same for the same seed).
     *
     * @throws IllegalArgumentException if there are no targets
     */
    public static Rollout create(String id, String modelId, long version, List<String> targets, RolloutPlan plan,
                                 long seed, Instant now) {
        List<String> order = new ArrayList<>(new java.util.TreeSet<>(targets));
        if (order.isEmpty()) {
            throw new IllegalArgumentException("rollout " + id + " has no target devices");
        }
        Collections.shuffle(order, new java.util.Random(new SplittableRandom(seed).nextLong()));
        int[] ends = plan.waveEnds(order.size());
        List<Device> list = new ArrayList<>();
        int wave = 0;
        for (int i = 0; i < order.size(); i++) {
            while (i >= ends[wave]) {
                wave++;
            }
            list.add(new Device(order.get(i), wave, Step.PENDING, null, null, "", 0, Double.NaN, Double.NaN, false, -1, -1,
                    Double.NaN));
        }
        List<Wave> waveList = new ArrayList<>();
        for (int w = 0; w < ends.length && (w == 0 || ends[w] > ends[w - 1]); w++) {
            waveList.add(new Wave(w, ends[w], null, null, null, null, null, null, null));
        }
        Rollout r = new Rollout(new State(id, modelId, version, plan, Phase.RUNNING, "", now, null, waveList, list,
                List.of()));
        r.decide(now, "created: " + modelId + " v" + version + " to " + order.size() + " devices in " + waveList.size()
                + " waves " + Arrays.toString(Arrays.copyOf(ends, waveList.size())));
        return r;
    }

    /** A rollout as it was persisted. */
    public static Rollout restore(State state) {
        return new Rollout(state);
    }

    public String id() {
        return id;
    }

    public String modelId() {
        return modelId;
    }

    public long version() {
        return version;
    }

    public Phase phase() {
        return phase;
    }

    public RolloutPlan plan() {
        return plan;
    }

    public State state() {
        return new State(id, modelId, version, plan, phase, reason, created, pausedAt, waves,
                new ArrayList<>(devices.values()), decisions);
    }

    /** Adds an operator-facing note (e.g. a device left out of the target and why). */
    public void note(Instant now, String text) {
        decide(now, text);
    }

    /** Opens the first wave. */
    public List<Command> start(Instant now) {
        if (phase != Phase.RUNNING || waves.get(0).opened() != null) {
            throw new IllegalStateException("rollout " + id + " has started already");
        }
        return open(0, now);
    }

    /** The wave being worked on: the first one not closed (the last one once all are). */
    public int currentWave() {
        return currentWave(waves);
    }

    private static int currentWave(List<Wave> waves) {
        for (Wave w : waves) {
            if (w.closed() == null) {
                return w.index();
            }
        }
        return waves.size() - 1;
    }

    /** A device's report about this rollout (reports of other rollouts and devices are ignored). */
    public List<Command> onStatus(DeploymentStatus s, Instant now) {
        Device d = devices.get(s.deviceId());
        if (d == null || !s.rolloutId().equals(id)) {
            return List.of();
        }
        List<Command> out = new ArrayList<>();
        boolean installedBefore = d.step() == Step.SHADOWING || d.step() == Step.SERVING || d.step() == Step.ROLLED_BACK;
        if (s.state() == DeploymentStatus.State.FAILED && (installedBefore || !phase.active())) {
            // Not about anything this rollout still waits for (a deploy the device could not verify, sent by someone
            // else or damaged on the way): the first is noted, the device's step stays what it is. Later ones are
            // not (a flood of forged deploys must not grow the rollout); the registry counts them all.
            String note = d.id() + " refused a deploy naming this rollout: ";
            if (decisions.stream().noneMatch(x -> x.text().startsWith(note))) {
                decide(now, note + s.reason() + " (later refusals by " + d.id() + " are counted in the registry only)");
            }
            return out;
        }
        Step step = switch (s.state()) {
            case RECEIVED -> d.step();
            case SHADOWING -> Step.SHADOWING;
            case SERVING -> Step.SERVING;
            case FAILED -> Step.FAILED;
            case ROLLED_BACK -> Step.ROLLED_BACK;
        };
        boolean installed = step == Step.SHADOWING || step == Step.SERVING;
        if (installed && (d.step() == Step.ROLLBACK_SENT || d.step() == Step.ROLLED_BACK)) {
            step = d.step(); // a report older than the rollback
        } else if (installed && !phase.active() && phase != Phase.SUCCEEDED && phase != Phase.ABORTED
                && d.wave() >= failedWave()) {
            // installed after the rollout failed or was rolled back: this device returns too
            step = Step.ROLLBACK_SENT;
            out.add(new Command(d.id(), d.wave(), Command.Kind.ROLLBACK));
            decide(now, d.id() + " installed after the rollout stopped: rolled back");
        }
        boolean measured = s.shadowSamples() > 0;
        devices.put(d.id(), new Device(d.id(), d.wave(), step, d.sentAt(), now, s.reason(),
                measured ? s.shadowSamples() : d.shadowSamples(), measured ? s.candidateLoss() : d.candidateLoss(),
                measured ? s.previousLoss() : d.previousLoss(), s.personalised() || d.personalised(), s.servingVersion(),
                s.previousVersion(), measured ? s.genericLoss() : d.genericLoss()));
        if (step == Step.FAILED && d.step() != Step.FAILED) {
            decide(now, d.id() + " refused: " + s.reason());
        }
        out.addAll(evaluate(now));
        return out;
    }

    /** The first wave a failure or operator rollback applies to (devices of earlier waves keep the version on a failed gate). */
    private int failedWave() {
        if (phase == Phase.ROLLED_BACK) {
            return 0;
        }
        for (Wave w : waves) {
            if (w.verdict() != null && w.verdict().startsWith("failed")) {
                return w.index();
            }
        }
        return 0;
    }

    /** Closes the open wave at its deadline. */
    public List<Command> onTick(Instant now) {
        return evaluate(now);
    }

    /** A device came (back) online: it gets what it missed, while the rollout runs. */
    public List<Command> onDeviceOnline(String deviceId, Instant now) {
        Device d = devices.get(deviceId);
        if (d == null) {
            return List.of();
        }
        if (d.step() == Step.ROLLBACK_SENT) {
            return List.of(new Command(d.id(), d.wave(), Command.Kind.ROLLBACK));
        }
        boolean due = phase == Phase.RUNNING && waves.get(d.wave()).opened() != null
                && (d.step() == Step.PENDING || d.step() == Step.SENT || d.step() == Step.TIMED_OUT);
        if (!due) {
            return List.of();
        }
        devices.put(d.id(), withStep(d, Step.SENT, now));
        return List.of(new Command(d.id(), d.wave(), Command.Kind.INSTALL));
    }

    public void pause(Instant now) {
        if (phase != Phase.RUNNING) {
            throw new IllegalStateException("rollout " + id + " is " + phase + "; only a running rollout can be paused");
        }
        phase = Phase.PAUSED;
        pausedAt = now;
        decide(now, "paused by the operator");
    }

    /** Resumes a paused rollout; the open wave's deadline moves by the time spent paused. */
    public List<Command> resume(Instant now) {
        if (phase != Phase.PAUSED) {
            throw new IllegalStateException("rollout " + id + " is " + phase + "; only a paused rollout can be resumed");
        }
        Duration paused = Duration.between(pausedAt, now);
        int w = currentWave();
        Wave open = waves.get(w);
        if (open.opened() != null && open.closed() == null) {
            waves.set(w, new Wave(w, open.end(), open.opened(), open.deadline().plus(paused), null, null, null, null, null));
        }
        phase = Phase.RUNNING;
        pausedAt = null;
        decide(now, "resumed by the operator after " + paused.toSeconds() + " s");
        return evaluate(now);
    }

    /** Stops sending; devices keep what they serve. */
    public void abort(Instant now) {
        if (!phase.active()) {
            throw new IllegalStateException("rollout " + id + " is " + phase + "; only a running or paused rollout can be aborted");
        }
        phase = Phase.ABORTED;
        reason = "aborted by the operator";
        decide(now, reason);
    }

    /** Returns every device that installed the version to the version it served before. */
    public List<Command> rollback(Instant now) {
        if (phase == Phase.ROLLED_BACK) {
            throw new IllegalStateException("rollout " + id + " is rolled back already");
        }
        phase = Phase.ROLLED_BACK;
        reason = "rolled back by the operator";
        decide(now, reason);
        return rollBack(0, now);
    }

    // ------------------------------------------------------------------ internals

    private List<Command> open(int w, Instant now) {
        Wave wave = waves.get(w);
        waves.set(w, new Wave(w, wave.end(), now, now.plus(plan.waveTimeout()), null, null, null, null, null));
        List<Command> out = new ArrayList<>();
        for (Device d : List.copyOf(devices.values())) {
            if (d.wave() == w && d.step() == Step.PENDING) {
                devices.put(d.id(), withStep(d, Step.SENT, now));
                out.add(new Command(d.id(), w, Command.Kind.INSTALL));
            }
        }
        decide(now, "wave " + (w + 1) + " of " + waves.size() + " opened: " + out.size() + " devices");
        return out;
    }

    private List<Command> evaluate(Instant now) {
        if (phase != Phase.RUNNING) {
            return List.of();
        }
        int w = currentWave();
        Wave wave = waves.get(w);
        if (wave.opened() == null || wave.closed() != null) {
            return List.of();
        }
        List<Device> members = devices.values().stream().filter(d -> d.wave() == w).toList();
        boolean settled = members.stream().allMatch(d -> d.step() == Step.SERVING || d.step() == Step.FAILED);
        if (!settled && now.isBefore(wave.deadline())) {
            return List.of();
        }
        int installed = 0;
        List<Double> ratios = new ArrayList<>();
        for (Device d : members) {
            if (d.step() == Step.SENT || d.step() == Step.PENDING) {
                devices.put(d.id(), withStep(d, Step.TIMED_OUT, d.sentAt()));
            }
            if (d.step() == Step.SHADOWING || d.step() == Step.SERVING) {
                installed++;
            }
            if (d.step() == Step.SERVING && !Double.isNaN(d.lossRatio())) {
                ratios.add(d.lossRatio());
            }
        }
        double fraction = (double) installed / members.size();
        Double median = ratios.isEmpty() ? null : median(ratios);
        String measured = String.format(java.util.Locale.ROOT, "installed %d/%d (%.0f%%, gate %.0f%%), median loss ratio %s "
                        + "over %d devices (gate %.3f)", installed, members.size(), 100 * fraction, 100 * plan.minSuccess(),
                median == null ? "not measured" : String.format(java.util.Locale.ROOT, "%.3f", median), ratios.size(),
                plan.maxLossRatio());
        String failure = fraction + 1e-12 < plan.minSuccess() ? "too few devices installed the version"
                : median != null && median > plan.maxLossRatio() ? "the version is worse than what the devices served"
                : null;
        String verdict = (failure == null ? "passed: " : "failed: " + failure + ": ") + measured;
        waves.set(w, new Wave(w, wave.end(), wave.opened(), wave.deadline(), now, fraction, median, ratios.size(), verdict));
        decide(now, "wave " + (w + 1) + " " + verdict);
        if (failure != null) {
            phase = Phase.FAILED;
            reason = "wave " + (w + 1) + " " + verdict;
            return rollBack(w, now);
        }
        if (w + 1 == waves.size()) {
            phase = Phase.SUCCEEDED;
            decide(now, "succeeded");
            return List.of();
        }
        return open(w + 1, now);
    }

    private List<Command> rollBack(int fromWave, Instant now) {
        List<Command> out = new ArrayList<>();
        for (Device d : List.copyOf(devices.values())) {
            if (d.wave() >= fromWave && (d.step() == Step.SHADOWING || d.step() == Step.SERVING)) {
                devices.put(d.id(), withStep(d, Step.ROLLBACK_SENT, now));
                out.add(new Command(d.id(), d.wave(), Command.Kind.ROLLBACK));
            }
        }
        decide(now, "rolling back " + out.size() + " devices");
        return out;
    }

    private static Device withStep(Device d, Step step, Instant sentAt) {
        return new Device(d.id(), d.wave(), step, sentAt, d.reportedAt(), d.reason(), d.shadowSamples(),
                d.candidateLoss(), d.previousLoss(), d.personalised(), d.servingVersion(), d.previousVersion(),
                d.genericLoss());
    }

    private void decide(Instant at, String text) {
        decisions.add(new Decision(at, text));
    }

    /** The median of {@code values} (the mean of the middle two for an even count); {@code values} is not empty. */
    public static double median(List<Double> values) {
        return io.tinyfed.core.Statistics.median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
