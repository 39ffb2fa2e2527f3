package io.tinyfed.simulators;

import io.tinyfed.agent.GatewayAggregator;
import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.protocol.Deploy;
import io.tinyfed.protocol.DeploymentStatus;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.DeviceState;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.protocol.mqtt.Transport;
import io.tinyfed.simulators.tasks.TaskFamily;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A gateway with simulated devices behind it, joined to the fleet over MQTT as one participant: it announces itself
 * (hello, online state, offline last will), keeps the latest verified meta-model snapshot, and answers each task by
 * asking {@code perTask} of its devices (seeded by round and gateway) to adapt, refusing bad device updates, and
 * publishing ONE pre-aggregated update ({@link GatewayAggregator}: sample-weighted mean, total weight, contributor
 * count), under the coordinator's default defences applied to its own devices: at most 10,000 samples a device and
 * each device's delta clipped to twice the median norm of its neighbours' ({@link GatewayAggregator.Robust#DEFAULT});
 * with {@link #quarantine} a device whose deltas kept standing out is never asked again. A device drops out of a task
 * with the fault plan's probability; the gateway's answer waits the plan's latency; {@link #disconnect()} and
 * {@link #reconnect()} take the gateway off the broker and back (a new MQTT connection that announces itself again).
 * Transport callbacks only decode and verify; adaptation runs on the gateway's own worker thread.
 *
 * <p>Deployments: the gateway is the deployment unit, as it is the training unit. Its devices serve the newest
 * meta-model until a verified {@link Deploy} (signature, device, bounds, replay) pins a version; every device then
 * installs it as an agent does ({@link SimulatedDevice#install}: personalised, compared in shadow with the version
 * it served), and the gateway reports one retained {@link DeploymentStatus} with the median of its devices' shadow
 * losses (a malicious device reports ten times its measured loss); a rollback returns to the version before. A
 * deploy that fails verification is refused with its reason, as an agent refuses it.
 */
final class SimulatedGateway implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SimulatedGateway.class.getName());

    private final String fleet;
    private final String id;
    private final int index;
    private final List<SimulatedDevice> devices;
    private final int perTask;
    private final TaskFamily family;
    private final InProcessSimulation.Faults faults;
    private final long seed;
    private final double normBound;
    private final java.util.function.Supplier<Transport> transports;
    private volatile Transport transport;
    private final SnapshotVerifier verifier;
    private final Topics topics;
    private final java.util.concurrent.ScheduledExecutorService worker;

    // Worker-confined.
    private ModelSnapshot snapshot;
    private final List<TrainTask> pending = new ArrayList<>();
    private final Map<String, Network> networks = new HashMap<>();
    /** When tasks ask for compressed updates: each device's compressor and the gateway's own, by id. */
    private final Map<String, io.tinyfed.core.DeltaCompressor> compressors = new HashMap<>();

    private final Map<Integer, Integer> contributorsByRound = new ConcurrentHashMap<>();
    private final Map<RejectReason, AtomicLong> refusedAtGateway = new ConcurrentHashMap<>();
    /** Device deltas this gateway scaled down to its clip norm ({@link GatewayAggregator.Robust}). */
    private final AtomicLong clippedAtGateway = new AtomicLong();
    /** The devices behind this gateway whose updates kept standing out, asked no more; null: none ({@link #quarantine}). */
    private volatile io.tinyfed.core.Quarantine quarantine;
    private final AtomicLong updatesPublished = new AtomicLong();
    private final AtomicLong updateBytesPublished = new AtomicLong();
    private final float onlineLr;
    private final InProcessSimulation.Timing timing;
    private final double slowness;

    // Deployment state, worker-confined: the release its devices serve (null: the newest meta-model) and the one before.
    private ModelSnapshot served;
    private ModelSnapshot previous;
    private DeploymentStatus status;
    private java.time.Instant lastIssued = java.time.Instant.EPOCH;

    SimulatedGateway(String fleet, int index, List<SimulatedDevice> devices, int perTask, TaskFamily family,
                     InProcessSimulation.Faults faults, long seed, double normBound,
                     java.util.function.Supplier<Transport> transports, SnapshotVerifier verifier, float onlineLr) {
        this(fleet, index, devices, perTask, family, faults, seed, normBound, transports, verifier, onlineLr, null, 1);
    }

    /**
     * @param timing    when not null, the gateway answers after {@link InProcessSimulation.Timing}'s answer time for its
     *                  {@code slowness} instead of the fault plan's latency
     */
    SimulatedGateway(String fleet, int index, List<SimulatedDevice> devices, int perTask, TaskFamily family,
                     InProcessSimulation.Faults faults, long seed, double normBound,
                     java.util.function.Supplier<Transport> transports, SnapshotVerifier verifier, float onlineLr,
                     InProcessSimulation.Timing timing, double slowness) {
        this.timing = timing;
        this.slowness = slowness;
        this.onlineLr = onlineLr;
        this.fleet = fleet;
        this.id = gatewayId(index);
        this.index = index;
        this.devices = List.copyOf(devices);
        this.perTask = Math.min(perTask, devices.size());
        this.family = family;
        this.faults = faults;
        this.seed = seed;
        this.normBound = normBound;
        this.transports = transports;
        this.verifier = verifier;
        this.topics = Topics.of(fleet);
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tinyfed-gateway-" + id);
            t.setDaemon(true);
            return t;
        });
    }

    /** From now on the gateway quarantines the devices behind it whose updates keep standing out (null: none). */
    void quarantine(io.tinyfed.core.Quarantine q) {
        this.quarantine = q;
    }

    static String gatewayId(int index) {
        return String.format("gw-%03d", index);
    }

    String id() {
        return id;
    }

    void start() throws Exception {
        transport = transports.get();
        transport.connect(new Transport.Listener() {
            @Override
            public void message(String topic, byte[] payload) {
                onMessage(topic, payload);
            }

            @Override
            public void connected(boolean reconnect) {
                worker.execute(SimulatedGateway.this::announce);
            }
        }, topics.device(id, Topics.DeviceTopic.STATE), WireCodec.encode(new DeviceState(id, false)));
    }

    private void announce() {
        try {
            HardwareProfile p = HardwareProfile.load("gateway");
            DeviceHello hello = p.hello(id, fleet, "sim-gateway (" + devices.size() + " devices behind)", null, 0);
            transport.subscribe(topics.device(id, Topics.DeviceTopic.TASK), topics.device(id, Topics.DeviceTopic.REJECT),
                    topics.device(id, Topics.DeviceTopic.DEPLOY), topics.allModels());
            transport.publish(topics.device(id, Topics.DeviceTopic.HELLO), WireCodec.encode(hello), true);
            transport.publish(topics.device(id, Topics.DeviceTopic.STATE), WireCodec.encode(new DeviceState(id, true)), true);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: announce failed: {1}", id, e.getMessage());
        }
    }

    private void onMessage(String topic, byte[] payload) {
        Optional<Topics.Address> address = topics.parse(topic);
        if (address.isEmpty()) {
            return;
        }
        Topics.Address a = address.get();
        try {
            if (a.isModel()) {
                ModelSnapshot s = WireCodec.decodeSnapshot(payload);
                verifier.verify(s);
                worker.execute(() -> onSnapshot(s));
            } else if (id.equals(a.deviceId()) && a.kind() == Topics.DeviceTopic.TASK) {
                TrainTask t = WireCodec.decodeTask(payload, id, verifier);
                t.requireWithinDeviceBounds(System.currentTimeMillis());
                worker.execute(() -> onTask(t));
            } else if (id.equals(a.deviceId()) && a.kind() == Topics.DeviceTopic.DEPLOY) {
                try {
                    Deploy d = WireCodec.decodeDeploy(payload, id, verifier);
                    d.requireWithinDeviceBounds();
                    worker.execute(() -> onDeploy(d));
                } catch (ProtocolException e) {
                    String rollout = WireCodec.unverifiedRolloutId(payload).orElse("unknown");
                    worker.execute(() -> report(DeploymentStatus.State.FAILED, rollout, 0, 0, e.getMessage(), null));
                    throw e;
                }
            } else if (id.equals(a.deviceId()) && a.kind() == Topics.DeviceTopic.REJECT) {
                LOG.log(System.Logger.Level.WARNING, "{0}: coordinator refused our update: {1}", id,
                        WireCodec.decodeReject(payload, verifier).detail());
            }
        } catch (ProtocolException e) {
            refusedAtGateway.computeIfAbsent(e.reason(), k -> new AtomicLong()).incrementAndGet();
        }
    }

    private void onSnapshot(ModelSnapshot s) {
        if (snapshot == null || s.version() > snapshot.version()) {
            snapshot = s;
        }
        for (Iterator<TrainTask> it = pending.iterator(); it.hasNext(); ) {
            TrainTask t = it.next();
            if (t.deadline().isBefore(java.time.Instant.now())) {
                it.remove(); // its round has closed without us
            } else if (t.modelVersion() <= snapshot.version()) {
                it.remove();
                answer(t);
            }
        }
    }

    private void onDeploy(Deploy d) {
        if (!d.issuedAt().isAfter(lastIssued)) {
            return; // replayed or reordered: the last applied one stands
        }
        lastIssued = d.issuedAt();
        if (d.action() == Deploy.Action.ROLLBACK) {
            boolean installed = status != null && status.rolloutId().equals(d.rolloutId()) && previous != null
                    && status.state() == DeploymentStatus.State.SERVING;
            long target = status != null ? status.targetVersion() : 0;
            if (installed) {
                served = previous;
                previous = null;
            }
            report(DeploymentStatus.State.ROLLED_BACK, d.rolloutId(), d.wave(), target, installed
                    ? "rolled back by the coordinator" : "nothing of the rollout installed: serving unchanged", null);
            return;
        }
        ModelSnapshot before = served != null ? served : snapshot;
        ModelSnapshot candidate = d.snapshot();
        if (before != null && before.version() == candidate.version() && status != null
                && status.rolloutId().equals(d.rolloutId()) && status.state() == DeploymentStatus.State.SERVING) {
            publishStatus(); // sent again: already installed
            return;
        }
        List<Double> c = new ArrayList<>();
        List<Double> p = new ArrayList<>();
        List<Double> g = new ArrayList<>();
        boolean personalised = false;
        if (before != null && d.shadowSamples() > 0) {
            for (SimulatedDevice dev : devices) {
                SimulatedDevice.ShadowFigures f = dev.install(family, candidate.model(), before.model(),
                        d.personaliseSteps(), d.personaliseLearningRate(), d.shadowSamples(), onlineLr,
                        new SplittableRandom(seed * 53 + dev.id().hashCode()));
                c.add(f.candidate());
                p.add(f.previous());
                if (!Double.isNaN(f.generic())) {
                    g.add(f.generic());
                }
                personalised |= f.personalised();
            }
        }
        previous = before;
        served = candidate;
        shadow = new double[] {median(c), median(p), median(g), c.isEmpty() ? 0 : d.shadowSamples()};
        report(DeploymentStatus.State.SERVING, d.rolloutId(), d.wave(), candidate.version(), "", personalised);
    }

    private double[] shadow;

    private static double median(List<Double> v) {
        List<Double> measured = v.stream().filter(x -> !x.isNaN()).toList();
        return measured.isEmpty() ? Double.NaN : io.tinyfed.coordinator.rollout.Rollout.median(measured);
    }

    /** Worker: the gateway's deployment status, retained on its deployment topic. */
    private void report(DeploymentStatus.State state, String rolloutId, int wave, long target, String reason,
                        Boolean personalised) {
        ModelSnapshot now = served != null ? served : snapshot;
        boolean compared = state == DeploymentStatus.State.SERVING && shadow != null && shadow[3] > 0;
        status = new DeploymentStatus(id, rolloutId, wave, state, now == null ? "none" : now.modelId(),
                now == null ? -1 : now.version(), previous == null ? -1 : previous.version(), target, reason,
                compared ? (int) shadow[3] : 0, compared ? shadow[0] : Double.NaN, compared ? shadow[1] : Double.NaN,
                Boolean.TRUE.equals(personalised), null, compared ? shadow[2] : Double.NaN);
        publishStatus();
    }

    private void publishStatus() {
        try {
            transport.publish(topics.device(id, Topics.DeviceTopic.DEPLOYMENT), WireCodec.encode(status), true);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: deployment status not sent: {1}", id, e.getMessage());
        }
    }

    /** The last deployment status this gateway reported; empty before its first deploy. */
    Optional<DeploymentStatus> deployment() {
        return Optional.ofNullable(status);
    }

    private void onTask(TrainTask t) {
        if (snapshot == null || snapshot.version() < t.modelVersion()) {
            pending.add(t); // the snapshot is on its way
            return;
        }
        answer(t);
    }

    private void answer(TrainTask t) {
        if (snapshot.version() != t.modelVersion()) {
            LOG.log(System.Logger.Level.WARNING, "{0}: task for version {1} but holding {2}", id, t.modelVersion(),
                    snapshot.version());
            return;
        }
        Model theta = snapshot.model();
        GatewayAggregator sum = new GatewayAggregator(t, id, theta.parameterCount(), normBound,
                GatewayAggregator.Robust.DEFAULT);
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + t.round() * 1_009L + index);
        io.tinyfed.core.Quarantine quarantine = this.quarantine;
        for (int k : choose(r)) {
            if (r.nextDouble() < faults.dropout() || quarantine != null && quarantine.isQuarantined(devices.get(k).id())) {
                continue;
            }
            SimulatedDevice d = devices.get(k);
            ModelUpdate u = d.adapt(family, theta, t, faults.attack(), (config, model) -> networks.computeIfAbsent(
                    d.profile().name() + "/" + config.trainableLayers(), key -> Network.prepare(model, config)));
            sum.add(d.id(), sent(t, d.id(), d.profile().trainingFormat(), u.delta()), u.sampleCount(), u.lossBefore(),
                    u.lossAfter());
        }
        sum.refused().forEach((reason, n) -> refusedAtGateway.computeIfAbsent(reason, x -> new AtomicLong()).addAndGet(n));
        Optional<ModelUpdate> update = sum.update();
        clippedAtGateway.addAndGet(sum.clipped());
        for (String q : quarantine == null ? List.<String>of() : sum.recordStrikes(quarantine)) {
            LOG.log(System.Logger.Level.WARNING, "{0}: {1} quarantined: its updates keep standing out", id, q);
        }
        if (update.isEmpty()) {
            return; // every asked device dropped out or was refused: the coordinator sees a straggler
        }
        int contributors = sum.contributors();
        SplittableRandom latencyRandom = new SplittableRandom(seed * 37 + t.round() * 1_009L + index);
        java.time.Duration latency = timing != null ? java.time.Duration.ofNanos(timing.answerNanos(slowness, latencyRandom))
                : faults.latency(latencyRandom);
        byte[] payload = t.compressedUplink()
                ? WireCodec.encode(update.get(), compressor(id, io.tinyfed.core.NumberFormat.F32, update.get().parameterCount())
                        .compress(update.get().delta(), t.uplinkFraction()))
                : WireCodec.encode(update.get(), io.tinyfed.core.NumberFormat.F32, 0);
        worker.schedule(() -> publish(update.get(), payload, contributors), latency.toNanos(),
                java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /**
     * What reaches the gateway of a device's delta: all of it, or, when the task asks for compressed updates, what the
     * device's compressor sends (a delta it refuses, such as a malicious NaN, goes as it is: the gateway refuses it).
     */
    private float[] sent(TrainTask t, String deviceId, io.tinyfed.core.NumberFormat format, float[] delta) {
        if (!t.compressedUplink()) {
            return delta;
        }
        try {
            return compressor(deviceId, format, delta.length).compress(delta, t.uplinkFraction()).toDense();
        } catch (IllegalArgumentException nonFinite) {
            return delta;
        }
    }

    private io.tinyfed.core.DeltaCompressor compressor(String owner, io.tinyfed.core.NumberFormat format, int parameters) {
        return compressors.compute(owner, (k, old) -> io.tinyfed.core.DeltaCompressor.reuse(old, parameters, format));
    }

    private void publish(ModelUpdate update, byte[] payload, int contributors) {
        try {
            transport.publish(topics.device(id, Topics.DeviceTopic.UPDATE), payload, false);
            contributorsByRound.put(update.round(), contributors);
            updatesPublished.incrementAndGet();
            updateBytesPublished.addAndGet(payload.length);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: update not sent: {1}", id, e.getMessage());
        }
    }

    /** The gateway's own updates published so far, and their payload bytes. */
    long[] uplink() {
        return new long[] {updatesPublished.get(), updateBytesPublished.get()};
    }

    /** Leaves the broker: announces offline and closes the connection (the devices behind it keep their state). */
    void disconnect() {
        Transport t = transport;
        try {
            t.publish(topics.device(id, Topics.DeviceTopic.STATE), WireCodec.encode(new DeviceState(id, false)), true);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "offline state not sent: {0}", e.getMessage());
        }
        t.close();
    }

    /** Comes back on a new connection, which announces the gateway again. */
    void reconnect() throws Exception {
        start();
    }

    /** {@code perTask} distinct device indices (partial Fisher-Yates, from the task's seed). */
    private int[] choose(SplittableRandom r) {
        int[] all = new int[devices.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        for (int i = 0; i < perTask; i++) {
            int j = i + r.nextInt(all.length - i);
            int tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
        }
        int[] chosen = java.util.Arrays.copyOf(all, perTask);
        java.util.Arrays.sort(chosen); // devices adapt in id order, whatever the draw order
        return chosen;
    }

    /** Device updates this gateway summed into its update of {@code round} (0 if it sent none). */
    int contributors(int round) {
        return contributorsByRound.getOrDefault(round, 0);
    }

    Map<RejectReason, Long> refusedAtGateway() {
        Map<RejectReason, Long> out = new EnumMap<>(RejectReason.class);
        refusedAtGateway.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    @Override
    public void close() {
        try {
            transport.publish(topics.device(id, Topics.DeviceTopic.STATE), WireCodec.encode(new DeviceState(id, false)), true);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "offline state not sent: {0}", e.getMessage());
        }
        worker.shutdownNow();
        transport.close();
    }
}
