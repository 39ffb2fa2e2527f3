package io.tinyfed.simulators;

import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.coordinator.round.FleetGateway;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.store.CoordinatorKeys;
import io.tinyfed.coordinator.store.ModelStore;
import io.tinyfed.coordinator.strategy.Strategy;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.Reject;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.simulators.tasks.TaskFamily;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The {@code inproc} transport of {@code ./tinyfed simulate}: the coordinator's real round engine
 * (selection, validation, aggregation, model store) with devices that adapt in-process, on a simulated
 * clock, one round at a time, in device-id order, so a seed gives the same numbers every run. Devices
 * use the runtime as agents do (their profile's format and trainable layers); faults are injected per
 * round from the seed: dropout (no answer; the round closes at its deadline) and malicious updates
 * (NaN, scaled, sign-flipped) that the engine must refuse or the strategy must withstand.
 */
public final class InProcessSimulation implements FleetGateway {
    /** What a device does wrong when it is malicious. */
    public enum Attack { NAN, SCALED, SIGN_FLIPPED }

    /** Faults: dropout probability per task, fraction of malicious devices and their attack. */
    public record Faults(double dropout, double maliciousFraction, Attack attack) {
        public static final Faults NONE = new Faults(0, 0, Attack.SCALED);
    }

    private final TaskFamily family;
    private final RoundEngine engine;
    private final Map<String, SimulatedDevice> devices = new TreeMap<>();
    private final Map<String, Network> networks = new HashMap<>();
    private final List<Map.Entry<String, TrainTask>> pending = new ArrayList<>();
    private final Faults faults;
    private final long seed;
    private final MutableClock clock = new MutableClock();
    private Model snapshot;

    /**
     * @param family   the task family: each device holds one of its training tasks and {@code shots} samples of it
     * @param profiles the hardware profiles devices cycle through (device i gets profile i mod n)
     */
    public InProcessSimulation(Path store, TaskFamily family, Model init, RoundEngine.Settings settings, Strategy strategy, int deviceCount,
                               List<HardwareProfile> profiles, int shots, Faults faults, long seed) throws Exception {
        this.family = family;
        this.faults = faults;
        this.seed = seed;
        this.engine = new RoundEngine(settings, strategy, new ModelStore(store), CoordinatorKeys.loadOrCreate(store, "sim"),
                this, clock, init);
        SplittableRandom r = new SplittableRandom(seed);
        int malicious = (int) Math.round(faults.maliciousFraction() * deviceCount);
        for (int i = 0; i < deviceCount; i++) {
            String id = String.format("sim-%05d", i);
            HardwareProfile p = profiles.get(i % profiles.size());
            TaskFamily.Task task = family.trainingTask(r);
            SimulatedDevice d = new SimulatedDevice(id, p, task, task.samples(shots, r.split()), i < malicious);
            devices.put(id, d);
            engine.deviceHello(d.hello("sim", null));
        }
        engine.publishCurrent();
    }

    /** Runs one round; returns its summary (or null if too few devices were eligible). */
    public RoundEngine.RoundSummary round() {
        int before = engine.roundsClosed();
        if (engine.startRound().isEmpty()) {
            return null;
        }
        List<Map.Entry<String, TrainTask>> tasks = new ArrayList<>(pending);
        pending.clear();
        int round = tasks.isEmpty() ? -1 : tasks.get(0).getValue().round();
        SplittableRandom faultRandom = new SplittableRandom(seed * 31 + round);
        for (Map.Entry<String, TrainTask> e : tasks) {
            TrainTask t = e.getValue();
            SimulatedDevice d = devices.get(e.getKey());
            if (faultRandom.nextDouble() < faults.dropout()) {
                continue; // dropped out: no answer
            }
            engine.onUpdate(d.id(), adapt(d, t));
        }
        if (engine.roundOpen()) {
            clock.advance(Duration.ofHours(1)); // past the deadline
            engine.onTick();
        }
        return engine.roundsClosed() > before ? engine.history().get(engine.roundsClosed() - 1) : null;
    }

    private ModelUpdate adapt(SimulatedDevice d, TrainTask t) {
        return d.adapt(family, snapshot, t, faults.attack(), (config, theta) ->
                networks.computeIfAbsent(d.id() + "/" + config.trainableLayers(), k -> Network.prepare(theta, config)));
    }

    public RoundEngine engine() {
        return engine;
    }

    @Override
    public void publishSnapshot(ModelSnapshot s) {
        snapshot = s.model();
    }

    @Override
    public void sendTask(String deviceId, TrainTask task) {
        pending.add(Map.entry(deviceId, task));
    }

    @Override
    public void sendReject(String deviceId, Reject reject) {
        // counted by the engine; a simulated device does not react
    }

    /** A clock the simulation moves: deadlines pass when the simulation says so, not with wall time. */
    private static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
