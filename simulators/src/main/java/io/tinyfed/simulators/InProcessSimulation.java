package io.tinyfed.simulators;

import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.coordinator.round.FleetGateway;
import io.tinyfed.coordinator.round.ManualClock;
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
import java.time.Duration;
import java.time.Instant;
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
    /**
     * What a malicious device sends: a NaN in its delta; its delta x20; its delta x-5; every value 10.0
     * (a constant vector whose norm stays under an absolute bound of 1000 for the sine MLP); its delta x-1
     * claiming 2^31-1 samples (a weight that takes over a sample-weighted mean).
     */
    public enum Attack { NAN, SCALED, SIGN_FLIPPED, CONSTANT, INFLATED_COUNT }

    /**
     * Faults, all drawn from the seed: dropout probability per task; the fraction of malicious devices and their
     * attack; the mean of the exponentially distributed time a device takes to answer ({@code Duration.ZERO}: at
     * once; answers after the round's deadline arrive late and are refused as LATE); and the probability that an
     * online device disconnects at the start of a round, staying away for 1 to {@code maxOfflineRounds} rounds before
     * it reconnects and announces itself again.
     */
    public record Faults(double dropout, double maliciousFraction, Attack attack, Duration meanLatency, double disconnect,
                         int maxOfflineRounds) {
        public static final Faults NONE = new Faults(0, 0, Attack.SCALED);

        public Faults {
            if (!(dropout >= 0 && dropout <= 1) || !(maliciousFraction >= 0 && maliciousFraction <= 1)
                    || !(disconnect >= 0 && disconnect <= 1)) {
                throw new IllegalArgumentException("dropout, malicious fraction and disconnect are probabilities in [0, 1]");
            }
            if (meanLatency.isNegative() || maxOfflineRounds < 1) {
                throw new IllegalArgumentException("latency must be >= 0 and devices stay offline 1+ rounds");
            }
        }

        /** No latency, no disconnects. */
        public Faults(double dropout, double maliciousFraction, Attack attack) {
            this(dropout, maliciousFraction, attack, Duration.ZERO, 0, 1);
        }

        /** This device's answer delay for one task: exponential with the mean latency. */
        Duration latency(SplittableRandom r) {
            return meanLatency.isZero() ? Duration.ZERO
                    : Duration.ofNanos((long) (-meanLatency.toNanos() * Math.log(1 - r.nextDouble())));
        }
    }

    /**
     * When devices answer and when they are there, for runs on the simulated clock ({@link #runTimed}). A device takes
     * a log-normal time per task (median {@code median}, spread {@code sigma} of its logarithm), {@code slowFactor}
     * times longer on the {@code slowFraction} of the devices drawn slow from the seed; it is online for periods of
     * mean {@code availability * cycle} and offline for periods of mean {@code (1 - availability) * cycle}
     * (exponential), so it is online {@code availability} of the time. A task a device cannot finish before it goes
     * offline is lost.
     */
    public record Timing(Duration median, double sigma, double slowFraction, double slowFactor, double availability,
                         Duration cycle) {
        public Timing {
            if (median.isNegative() || median.isZero() || !(sigma >= 0) || !(slowFraction >= 0 && slowFraction <= 1)
                    || !(slowFactor >= 1) || !(availability > 0 && availability <= 1) || cycle.isNegative()
                    || cycle.isZero()) {
                throw new IllegalArgumentException("timing needs a positive median and cycle, sigma >= 0, a slow "
                        + "fraction in [0, 1], a slow factor >= 1 and an availability in (0, 1]");
            }
        }

        /** Every device at once, always there. */
        public static final Timing PROMPT = new Timing(Duration.ofSeconds(1), 0, 0, 1, 1, Duration.ofHours(1));

        /** How much slower than the median a participant is: {@code slowFactor} for the slow ones, drawn once. */
        double slowness(SplittableRandom r) {
            return r.nextDouble() < slowFraction ? slowFactor : 1.0;
        }

        /** One answer's time for a participant of {@code slowness}: log-normal around the median. */
        long answerNanos(double slowness, SplittableRandom r) {
            double z = sigma == 0 ? 0 : r.nextGaussian() * sigma;
            return (long) (median.toNanos() * slowness * Math.exp(z));
        }

        /** How long a participant stays online, or offline, this time (exponential; never for one always online). */
        long periodNanos(boolean online, SplittableRandom r) {
            if (online && availability >= 1) {
                return Long.MAX_VALUE;
            }
            double mean = (online ? availability : 1 - availability) * cycle.toNanos();
            return (long) Math.max(1, -mean * Math.log(1 - r.nextDouble()));
        }

        /** Whether a participant starts online. */
        boolean startsOnline(SplittableRandom r) {
            return availability >= 1 || r.nextDouble() < availability;
        }
    }

    private final TaskFamily family;
    private final RoundEngine engine;
    private final Map<String, SimulatedDevice> devices = new TreeMap<>();
    private final Map<String, Network> networks = new HashMap<>();
    private final List<Map.Entry<String, TrainTask>> pending = new ArrayList<>();
    private final Faults faults;
    private final long seed;
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final Duration roundTimeout;
    private final List<SimulatedDevice> order;
    private final Connectivity connectivity;
    private int roundsRun;
    private Model snapshot;
    /** Null: updates reach the engine as records; else they travel encoded, and these are the devices' compressors. */
    private Map<String, io.tinyfed.core.DeltaCompressor> compressors;
    private boolean errorFeedback;
    private long uplinkBytes;
    private long uplinkUpdates;
    /** The latest version published, and the one the devices hold (rebuilt from deltas where they came). */
    private ModelSnapshot latest;
    private ModelSnapshot held;
    private final io.tinyfed.protocol.SnapshotVerifier verifier;
    private long downlinkBytes;
    private long downlinkVersions;
    private long downlinkDeltas;
    /** Null: devices answer the engine themselves; else the engine's participants are these gateways, by id. */
    private Map<String, List<SimulatedDevice>> gateways;
    private io.tinyfed.agent.GatewayAggregator.Robust gatewayRobust;
    /** Per gateway: the devices behind it that it asks no more (empty map: gateways quarantine no one). */
    private final Map<String, io.tinyfed.core.Quarantine> gatewayQuarantines = new HashMap<>();
    private long clippedAtGateways;
    private final Map<io.tinyfed.protocol.RejectReason, Long> refusedAtGateways = new java.util.EnumMap<>(
            io.tinyfed.protocol.RejectReason.class);

    /**
     * @param family   the task family: each device holds one of its training tasks and {@code shots} samples of it
     * @param profiles the hardware profiles devices cycle through (device i gets profile i mod n)
     */
    public InProcessSimulation(Path store, TaskFamily family, Model init, RoundEngine.Settings settings, Strategy strategy, int deviceCount,
                               List<HardwareProfile> profiles, int shots, Faults faults, long seed) throws Exception {
        this.family = family;
        this.faults = faults;
        this.roundTimeout = settings.roundTimeout();
        this.seed = seed;
        this.engine = new RoundEngine(settings, strategy, new ModelStore(store), CoordinatorKeys.loadOrCreate(store, "sim"),
                this, clock, init);
        this.verifier = new io.tinyfed.protocol.SnapshotVerifier(io.tinyfed.protocol.TrustedKeys.read(
                CoordinatorKeys.trustFile(store)));
        this.connectivity = new Connectivity(faults, seed);
        this.order = SimulatedDevice.fleet(family, deviceCount, profiles, shots, faults.maliciousFraction(), seed);
        for (SimulatedDevice d : order) {
            devices.put(d.id(), d);
            engine.deviceHello(d.hello("sim", null));
        }
        engine.publishCurrent();
    }

    /**
     * Runs one round: devices disconnect or come back, the engine selects and sends tasks, answers arrive in order
     * of their latency on the simulated clock, the round closes at its deadline, and answers later than that arrive
     * after it (refused as LATE). Returns the round's summary, or null if too few devices were eligible.
     */
    public RoundEngine.RoundSummary round() {
        roundsRun++;
        connectivity();
        int before = engine.roundsClosed();
        receiveLatest();
        if (engine.startRound().isEmpty()) {
            return null;
        }
        Instant started = clock.instant();
        List<Map.Entry<String, TrainTask>> tasks = new ArrayList<>(pending);
        pending.clear();
        int round = tasks.isEmpty() ? -1 : tasks.get(0).getValue().round();
        SplittableRandom faultRandom = new SplittableRandom(seed * 31 + round);
        SplittableRandom latencyRandom = new SplittableRandom(seed * 37 + round);
        List<Map.Entry<Duration, ModelUpdate>> answers = new ArrayList<>();
        for (Map.Entry<String, TrainTask> e : tasks) {
            TrainTask t = e.getValue();
            if (gateways != null) {
                gatewayAnswer(e.getKey(), t, faultRandom).ifPresent(u -> answers.add(Map.entry(faults.latency(
                        latencyRandom), u)));
                continue;
            }
            SimulatedDevice d = devices.get(e.getKey());
            if (faultRandom.nextDouble() < faults.dropout()) {
                continue; // dropped out: no answer
            }
            Duration latency = faults.latency(latencyRandom);
            ModelUpdate u = travel(d, t, adapt(d, t));
            if (u != null) {
                answers.add(Map.entry(latency, u));
            }
        }
        answers.sort(Map.Entry.comparingByKey()); // stable: equal latencies keep device order
        List<ModelUpdate> late = new ArrayList<>();
        for (Map.Entry<Duration, ModelUpdate> a : answers) {
            if (a.getKey().compareTo(roundTimeout) >= 0) {
                late.add(a.getValue());
            } else {
                clock.set(started.plus(a.getKey()));
                engine.onUpdate(a.getValue().deviceId(), a.getValue());
            }
        }
        if (engine.roundOpen()) {
            clock.set(started.plus(roundTimeout)); // the deadline
            engine.onTick();
        }
        for (ModelUpdate u : late) {
            engine.onUpdate(u.deviceId(), u); // after the close: counted as LATE
        }
        clock.set(started.plus(Duration.ofHours(1)));
        return engine.roundsClosed() > before ? engine.history().get(engine.roundsClosed() - 1) : null;
    }

    /** One thing that happens on the simulated clock: a device comes or goes, or its answer arrives. */
    private record Event(long atNanos, long order, SimulatedDevice device, ModelUpdate answer) {
    }

    /**
     * Runs on the simulated clock until the engine has closed {@code rounds} more rounds (synchronous rounds, or
     * asynchronous buffers when the engine is asynchronous) or {@code limit} of simulated time has passed. Devices
     * answer after their {@link Timing}, come and go, and a new round starts as soon as the last one closed; in
     * asynchronous mode the engine also refills free training slots after every event. {@code afterRound} is told the
     * simulated seconds since the start whenever a round has closed. Deterministic for the seed.
     *
     * @return simulated seconds the run took
     */
    public double runTimed(Timing timing, int rounds, Duration limit, java.util.function.DoubleConsumer afterRound) {
        SplittableRandom r = new SplittableRandom(seed * 53 + 17);
        Map<String, Double> slowness = new HashMap<>();
        Map<String, Boolean> present = new HashMap<>();
        Map<String, Long> leaves = new HashMap<>();
        java.util.PriorityQueue<Event> queue = new java.util.PriorityQueue<>(java.util.Comparator
                .comparingLong(Event::atNanos).thenComparingLong(Event::order));
        long[] order = {0};
        Instant start = clock.instant();
        for (SimulatedDevice d : this.order) {
            slowness.put(d.id(), timing.slowness(r));
            boolean on = timing.startsOnline(r);
            present.put(d.id(), on);
            long until = timing.periodNanos(on, r);
            if (on) {
                leaves.put(d.id(), until);
            } else {
                engine.deviceState(d.id(), false);
            }
            if (until != Long.MAX_VALUE) {
                queue.add(new Event(until, order[0]++, d, null));
            }
        }
        int target = engine.roundsClosed() + rounds;
        long now = 0;
        int closed = engine.roundsClosed();
        while (engine.roundsClosed() < target && now <= limit.toNanos()) {
            if (!engine.roundOpen() || engine.async().isPresent()) {
                engine.startRound();
            }
            receiveLatest();
            for (Map.Entry<String, TrainTask> e : pending) {
                SimulatedDevice d = devices.get(e.getKey());
                if (held.version() != e.getValue().modelVersion()) {
                    throw new IllegalStateException("task on version " + e.getValue().modelVersion() + " while devices "
                            + "hold " + held.version());
                }
                if (!present.get(d.id())) {
                    continue; // offline: the task is lost
                }
                long done = now + timing.answerNanos(slowness.get(d.id()), r);
                if (done >= leaves.get(d.id())) {
                    continue; // goes offline before it finishes
                }
                ModelUpdate u = travel(d, e.getValue(), adapt(d, e.getValue()));
                if (u != null) {
                    queue.add(new Event(done, order[0]++, d, u));
                }
            }
            pending.clear();
            long deadline = Long.MAX_VALUE;
            java.util.Optional<RoundEngine.OpenRound> open = engine.openRound();
            if (open.isPresent() && engine.async().isEmpty()) {
                deadline = Duration.between(start, open.get().deadline()).toNanos();
            }
            Event next = queue.peek();
            long nextTaskDeadline = engine.async().isPresent() ? nextExpiry(start) : Long.MAX_VALUE;
            long at = Math.min(next == null ? Long.MAX_VALUE : next.atNanos(), Math.min(deadline, nextTaskDeadline));
            if (at == Long.MAX_VALUE) {
                break; // nothing will ever happen: no device is coming back and nothing is outstanding
            }
            now = Math.max(now, at);
            clock.set(start.plusNanos(now));
            if (next != null && next.atNanos() == at) {
                queue.poll();
                SimulatedDevice d = next.device();
                if (next.answer() != null) {
                    engine.onUpdate(d.id(), next.answer());
                } else if (present.get(d.id())) {
                    present.put(d.id(), false);
                    engine.deviceState(d.id(), false);
                    queue.add(new Event(now + timing.periodNanos(false, r), order[0]++, d, null));
                } else {
                    present.put(d.id(), true);
                    engine.deviceHello(d.hello("sim", null));
                    long until = now + timing.periodNanos(true, r);
                    leaves.put(d.id(), until);
                    queue.add(new Event(until, order[0]++, d, null));
                }
            } else {
                engine.onTick();
            }
            while (closed < engine.roundsClosed()) {
                closed++;
                afterRound.accept(now / 1e9);
            }
        }
        clock.set(start.plusNanos(now));
        return now / 1e9;
    }

    /** Asynchronous mode: simulated nanoseconds (since {@code start}) when the earliest outstanding task expires. */
    private long nextExpiry(Instant start) {
        return engine.earliestTaskDeadline().map(t -> Duration.between(start, t).toNanos()).orElse(Long.MAX_VALUE);
    }

    /**
     * From now on the engine's participants are {@code count} gateways ({@code gw-000} ..., gateway hardware profile),
     * device i behind gateway i mod count, so attackers (the first devices) are spread over the gateways. A gateway
     * asked for a round asks all its devices (each may drop out), pre-aggregates their updates with
     * {@link io.tinyfed.agent.GatewayAggregator} under {@code robust} and answers with one update; the engine never
     * hears from a device. With {@code quarantine} (null: none) each gateway keeps its own, made by it, and stops asking
     * the devices it quarantines. For {@link #round()} only, without connectivity faults and with updates as records.
     */
    public void behindGateways(int count, io.tinyfed.agent.GatewayAggregator.Robust robust,
                               java.util.function.Supplier<io.tinyfed.core.Quarantine> quarantine) throws java.io.IOException {
        if (count < 1 || count > order.size()) {
            throw new IllegalArgumentException("gateways must be 1 to " + order.size() + ", got " + count);
        }
        if (faults.disconnect() > 0 || compressors != null) {
            throw new IllegalStateException("gateways are simulated without disconnects and with updates as records");
        }
        this.gateways = new TreeMap<>();
        this.gatewayRobust = robust;
        HardwareProfile p = HardwareProfile.load("gateway");
        for (int g = 0; g < count; g++) {
            String id = SimulatedGateway.gatewayId(g);
            gateways.put(id, new ArrayList<>());
            if (quarantine != null) {
                gatewayQuarantines.put(id, quarantine.get());
            }
            engine.deviceHello(p.hello(id, "sim", "sim", null, 0));
        }
        for (int i = 0; i < order.size(); i++) {
            SimulatedDevice d = order.get(i);
            gateways.get(SimulatedGateway.gatewayId(i % count)).add(d);
            engine.deviceState(d.id(), false); // the engine only selects gateways
        }
    }

    /** The devices the gateways quarantined, sorted. */
    public java.util.Set<String> quarantinedAtGateways() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        gatewayQuarantines.values().forEach(q -> out.addAll(q.quarantined()));
        return out;
    }

    /** Device deltas the gateways clipped, and device updates they refused, so far ({@link #behindGateways}). */
    public long clippedAtGateways() {
        return clippedAtGateways;
    }

    public Map<io.tinyfed.protocol.RejectReason, Long> refusedAtGateways() {
        return Map.copyOf(refusedAtGateways);
    }

    /** A gateway's answer to task {@code t}: its devices' updates pre-aggregated; empty if none answered. */
    private java.util.Optional<ModelUpdate> gatewayAnswer(String gatewayId, TrainTask t, SplittableRandom faultRandom) {
        io.tinyfed.agent.GatewayAggregator sum = new io.tinyfed.agent.GatewayAggregator(t, gatewayId,
                snapshot.parameterCount(), Double.POSITIVE_INFINITY, gatewayRobust);
        io.tinyfed.core.Quarantine quarantine = gatewayQuarantines.get(gatewayId);
        for (SimulatedDevice d : gateways.get(gatewayId)) {
            if (faultRandom.nextDouble() < faults.dropout() || quarantine != null && quarantine.isQuarantined(d.id())) {
                continue;
            }
            ModelUpdate u = adapt(d, t);
            sum.add(d.id(), u.delta(), u.sampleCount(), u.lossBefore(), u.lossAfter());
        }
        sum.refused().forEach((reason, n) -> refusedAtGateways.merge(reason, n, Long::sum));
        java.util.Optional<ModelUpdate> update = sum.update();
        clippedAtGateways += sum.clipped();
        if (quarantine != null) {
            sum.recordStrikes(quarantine);
        }
        return update;
    }

    /** Disconnects and reconnections at the start of a round ({@link Connectivity}), in id order. */
    private void connectivity() {
        for (Connectivity.Change c : connectivity.step(roundsRun, order.size())) {
            SimulatedDevice d = order.get(c.participant());
            if (c.leaves()) {
                engine.deviceState(d.id(), false);
            } else {
                engine.deviceHello(d.hello("sim", null)); // reconnected: announces itself again
            }
        }
    }

    /** Ids of the devices offline right now (during a round: since its start). */
    public java.util.Set<String> offlineDevices() {
        return connectivity.offline().stream().map(k -> order.get(k).id()).collect(java.util.stream.Collectors.toSet());
    }

    private ModelUpdate adapt(SimulatedDevice d, TrainTask t) {
        return d.adapt(family, snapshot, t, faults.attack(), (config, theta) ->
                networks.computeIfAbsent(d.id() + "/" + config.trainableLayers(), k -> Network.prepare(theta, config)));
    }

    /**
     * From now on updates travel as on MQTT: each device encodes its update as an agent does (the whole delta in its
     * training format, or, when the task asks for it, the top of it as int8 through its own
     * {@link io.tinyfed.core.DeltaCompressor}) and the engine gets what {@code WireCodec} decodes, or the decoder's
     * refusal. {@code errorFeedback} false makes the devices' compressors forget what they did not send (agents always
     * keep it); for measuring what error feedback is worth.
     */
    public void encodeUpdates(boolean errorFeedback) {
        this.compressors = new HashMap<>();
        this.errorFeedback = errorFeedback;
    }

    /** Encoded update bytes sent so far, and how many updates (both 0 unless {@link #encodeUpdates}). */
    public long uplinkBytes() {
        return uplinkBytes;
    }

    public long uplinkUpdates() {
        return uplinkUpdates;
    }

    /** {@code u} through the wire, when updates travel encoded: its bytes counted, then decoded. Null if refused. */
    private ModelUpdate travel(SimulatedDevice d, TrainTask t, ModelUpdate u) {
        if (compressors == null) {
            return u;
        }
        byte[] bytes;
        io.tinyfed.core.NumberFormat format = d.profile().trainingFormat();
        try {
            if (t.compressedUplink()) {
                io.tinyfed.core.DeltaCompressor c = compressors.computeIfAbsent(d.id(),
                        k -> new io.tinyfed.core.DeltaCompressor(u.parameterCount(), format, errorFeedback));
                bytes = io.tinyfed.protocol.WireCodec.encode(u, c.compress(u.delta(), t.uplinkFraction()));
            } else {
                bytes = io.tinyfed.protocol.WireCodec.encode(u, format, 0);
            }
        } catch (IllegalArgumentException nonFinite) { // the compressor refuses a NaN delta: send it dense, as F32
            bytes = io.tinyfed.protocol.WireCodec.encode(u, io.tinyfed.core.NumberFormat.F32, 0);
        }
        uplinkBytes += bytes.length;
        uplinkUpdates++;
        try {
            return io.tinyfed.protocol.WireCodec.decodeUpdate(bytes);
        } catch (io.tinyfed.protocol.ProtocolException e) {
            engine.onUndecodable(d.id(), e.reason(), e.getMessage());
            return null;
        }
    }

    public RoundEngine engine() {
        return engine;
    }

    /** The simulated devices, in id order. */
    List<SimulatedDevice> devices() {
        return order;
    }

    @Override
    public void publishSnapshot(ModelSnapshot s) {
        latest = s;
    }

    /**
     * The devices hold what they rebuilt from the version before: the delta through the wire, applied, verified against
     * the coordinator's key as an agent does. A delta that does not rebuild a signed version is a defect: it throws.
     */
    @Override
    public void publishDelta(io.tinyfed.protocol.SnapshotDelta d) {
        if (held == null || held.version() != d.fromVersion()) {
            return; // the devices hold another version: they take the full snapshot
        }
        byte[] bytes = io.tinyfed.protocol.WireCodec.encode(d);
        try {
            ModelSnapshot rebuilt = io.tinyfed.protocol.WireCodec.decodeSnapshotDelta(bytes).applyTo(held);
            verifier.verify(rebuilt);
            held = rebuilt;
        } catch (io.tinyfed.protocol.ProtocolException e) {
            throw new IllegalStateException("a published delta does not rebuild version " + d.toVersion() + ": "
                    + e.getMessage(), e);
        }
        snapshot = held.model();
        downlinkBytes += bytes.length;
        downlinkVersions++;
        downlinkDeltas++;
    }

    /** Devices without the latest version (no delta came for it) take the full snapshot, its bytes counted. */
    private void receiveLatest() {
        if (latest != null && (held == null || held.version() != latest.version())) {
            held = latest;
            snapshot = held.model();
            downlinkBytes += io.tinyfed.protocol.WireCodec.encode(latest).length;
            downlinkVersions++;
        }
    }

    /** Bytes a device received per model version so far (full snapshots and deltas), versions received, deltas among them. */
    public long[] downlink() {
        return new long[] {downlinkBytes, downlinkVersions, downlinkDeltas};
    }

    @Override
    public void sendTask(String deviceId, TrainTask task) {
        pending.add(Map.entry(deviceId, task));
    }

    @Override
    public void sendReject(String deviceId, Reject reject) {
        // counted by the engine; a simulated device does not react
    }
}
