package io.tinyfed.agent;

import io.tinyfed.protocol.mqtt.Transport;
import io.tinyfed.core.DeltaCompressor;
import io.tinyfed.core.Loss;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.OnlineLearner;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.Reptile;
import io.tinyfed.core.Sample;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.protocol.Deploy;
import io.tinyfed.protocol.DeploymentStatus;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.DeviceMetrics;
import io.tinyfed.protocol.DeviceState;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.Reject;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.SnapshotDelta;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.WireCodec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The process on a gateway or device. It announces itself (hello, online state, offline last
 * will), learns online from its data source, keeps the latest verified meta-model snapshot, and
 * answers each {@link TrainTask} with the Reptile delta of a copy of the meta-model adapted on its
 * recent samples, in its own number format, before the deadline. Raw samples never leave it.
 *
 * <p>Deployments: until a {@link Deploy} arrives the agent serves (and learns online from) the
 * latest meta-model. A verified install pins the version it names: the agent optionally
 * personalises it on its recent samples, serves it, runs the version it served before beside it
 * on the next live samples (both tested before they train on each sample) and reports both losses
 * in a retained {@link DeploymentStatus}; a rollback returns to the version served before. With a
 * state directory both slots survive a restart.
 *
 * <p>Threading: transport callbacks only decode, verify and hand work to one worker thread, which
 * owns every network, the learner and the buffers; nothing here blocks the MQTT client's thread.
 */
public final class Agent implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Agent.class.getName());

    /**
     * @param onlineLearningRate SGD step of the continuous online learning
     * @param bufferCapacity     recent samples kept for rounds (and before the first model arrives)
     * @param sampleInterval     how often the data source is polled
     * @param metricsEvery       publish metrics every this many samples
     * @param stateDirectory     where the deployed versions are kept across restarts; null: in memory only
     */
    public record Settings(String fleet, String deviceId, HardwareProfile profile, float onlineLearningRate,
                           int bufferCapacity, Duration sampleInterval, int metricsEvery, long seed,
                           String runtimeVersion, java.nio.file.Path stateDirectory) {
        public Settings(String fleet, String deviceId, HardwareProfile profile, float onlineLearningRate,
                        int bufferCapacity, Duration sampleInterval, int metricsEvery, long seed, String runtimeVersion) {
            this(fleet, deviceId, profile, onlineLearningRate, bufferCapacity, sampleInterval, metricsEvery, seed,
                    runtimeVersion, null);
        }

        public Settings {
            Topics.of(fleet).device(deviceId, Topics.DeviceTopic.HELLO); // validates both ids
            if (bufferCapacity < 1 || metricsEvery < 1 || sampleInterval.isNegative() || sampleInterval.isZero()) {
                throw new IllegalArgumentException("buffer, metrics period and sample interval must be positive");
            }
        }
    }

    /**
     * Counters for operators and tests.
     *
     * @param installs          deploys that changed the served version (a deploy sent again for what is installed does
     *                          not count)
     * @param updateBytesPublished payload bytes of the updates published (what the uplink carried, MQTT headers apart)
     * @param deltasApplied     model versions rebuilt from a delta (not received whole)
     */
    public record Stats(long samplesSeen, long samplesRejected, long updatesPublished, long tasksDropped,
                        Map<RejectReason, Long> messagesRejected, long modelVersion, long installs,
                        long updateBytesPublished, long deltasApplied) {
    }

    private final Settings settings;
    private final Transport transport;
    private final DataSource data;
    private final SnapshotVerifier verifier;
    private final Clock clock;
    private final Topics topics;
    private final ScheduledExecutorService worker;

    // Worker-confined state.
    private final Map<String, ModelSnapshot> snapshots = new HashMap<>();
    private final Map<String, Model> deviceModels = new HashMap<>();
    private final Map<String, Network> scratchNetworks = new HashMap<>();
    /** Per model: what compressed updates left unsent, added to the next one (error feedback). */
    private final Map<String, DeltaCompressor> compressors = new HashMap<>();
    private final ArrayDeque<Sample> earlySamples = new ArrayDeque<>();
    private final List<TrainTask> pendingTasks = new ArrayList<>();
    private OnlineLearner learner;
    private String learnerModel;
    // Deployment state (worker-confined): serving == null means "follow the latest meta-model".
    private final DeploymentFiles files;
    private DeploymentFiles.Slot serving;
    private DeploymentFiles.Slot previous;
    private DeploymentStatus status;
    private Instant lastIssued = Instant.EPOCH;
    private OnlineLearner shadow;
    /** With personalisation: the rollout's version as released, beside the personalised one, for the gain. */
    private OnlineLearner generic;
    private double shadowGenericLoss;
    private int shadowTarget;
    private int shadowCount;
    private double shadowCandidateLoss;
    private double shadowPreviousLoss;
    private volatile DeploymentStatus reported;
    /** An install waiting for the first samples its S16 calibration needs (retried after every new sample). */
    private Deploy waitingForSamples;

    private final AtomicLong samplesSeen = new AtomicLong();
    private final AtomicLong samplesRejected = new AtomicLong();
    private final AtomicLong updatesPublished = new AtomicLong();
    private final AtomicLong updateBytesPublished = new AtomicLong();
    private final AtomicLong deltasApplied = new AtomicLong();
    /** Whether the agent is subscribed to the full snapshots (worker thread and announce only). */
    private volatile boolean fullSnapshots = true;
    private final AtomicLong tasksDropped = new AtomicLong();
    private final AtomicLong installs = new AtomicLong();
    private final AtomicLong modelVersion = new AtomicLong(-1);
    private final Map<RejectReason, AtomicLong> rejected = new ConcurrentHashMap<>();

    public Agent(Settings settings, Transport transport, DataSource data, SnapshotVerifier verifier, Clock clock) {
        this.settings = settings;
        this.transport = transport;
        this.data = data;
        this.verifier = verifier;
        this.clock = clock;
        this.topics = Topics.of(settings.fleet());
        this.files = settings.stateDirectory() == null ? null : new DeploymentFiles(settings.stateDirectory());
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tinyfed-agent-" + settings.deviceId());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Restores the deployed versions from the state directory, connects (with the offline state as
     * last will) and starts polling the data source.
     *
     * @throws java.io.IOException if the saved deployment state is damaged (the message says what to do)
     */
    public void start() throws Exception {
        if (files != null) {
            try {
                worker.submit(() -> {
                    restore();
                    return null;
                }).get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }
        byte[] will = WireCodec.encode(new DeviceState(settings.deviceId(), false));
        transport.connect(new Transport.Listener() {
            @Override
            public void message(String topic, byte[] payload) {
                onMessage(topic, payload);
            }

            @Override
            public void connected(boolean reconnect) {
                worker.execute(() -> announce(reconnect));
            }
        }, topics.device(settings.deviceId(), Topics.DeviceTopic.STATE), will);
        long period = Math.max(1, settings.sampleInterval().toNanos());
        worker.scheduleAtFixedRate(this::guarded, 0, period, TimeUnit.NANOSECONDS);
    }

    /** What this agent was configured with. */
    public Settings settings() {
        return settings;
    }

    /**
     * {@link #start()}, retried with back-off (1 s doubling to 30 s, for as long as it takes) while the
     * broker cannot be reached, so a gateway that boots before its broker waits for it. A refusal
     * that waiting does not fix (wrong password, not authorised, a TLS failure) is thrown at once.
     *
     * @param onRetry told each failed attempt, e.g. to print it
     */
    public void startWhenReachable(java.util.function.Consumer<String> onRetry) throws Exception {
        dev.failsafe.RetryPolicy<Object> policy = dev.failsafe.RetryPolicy.builder()
                .handleIf(e -> e instanceof Exception x && transport.unreachable(x))
                .withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30))
                .withMaxRetries(-1)
                .onRetryScheduled(e -> onRetry.accept("broker not reachable (" + e.getLastException().getMessage()
                        + "); retrying in " + e.getDelay().toSeconds() + " s"))
                .build();
        try {
            dev.failsafe.Failsafe.with(policy).run(this::start);
        } catch (dev.failsafe.FailsafeException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private void guarded() {
        try {
            ingest();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "ingest failed: " + e.getMessage(), e);
        }
    }

    private void announce(boolean reconnect) {
        try {
            HardwareProfile p = settings.profile();
            DeviceHello hello = p.hello(settings.deviceId(), settings.fleet(), settings.runtimeVersion(), null,
                    settings.bufferCapacity());
            // Subscribe before announcing, so a coordinator that reacts to the hello cannot miss us.
            // After a (re)connect the device may have missed versions: full snapshots until a delta applies again.
            fullSnapshots = true;
            transport.subscribe(topics.device(settings.deviceId(), Topics.DeviceTopic.TASK),
                    topics.device(settings.deviceId(), Topics.DeviceTopic.REJECT),
                    topics.device(settings.deviceId(), Topics.DeviceTopic.DEPLOY), topics.allModels(),
                    topics.allModelDeltas());
            transport.publish(topics.device(settings.deviceId(), Topics.DeviceTopic.HELLO), WireCodec.encode(hello), true);
            transport.publish(topics.device(settings.deviceId(), Topics.DeviceTopic.STATE),
                    WireCodec.encode(new DeviceState(settings.deviceId(), true)), true);
            if (status != null) {
                publishStatus();
            }
            LOG.log(System.Logger.Level.INFO, "{0} {1}: announced", settings.deviceId(), reconnect ? "reconnected" : "connected");
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "announce failed: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ inbound (client thread)

    private void onMessage(String topic, byte[] payload) {
        Optional<Topics.Address> address = topics.parse(topic);
        if (address.isEmpty()) {
            return;
        }
        Topics.Address a = address.get();
        try {
            if (a.isModel()) {
                ModelSnapshot s = WireCodec.decodeSnapshot(payload);
                if (!s.modelId().equals(a.modelId())) {
                    throw new ProtocolException(RejectReason.IDENTITY_MISMATCH, "snapshot of " + s.modelId()
                            + " on the topic of " + a.modelId());
                }
                verifier.verify(s);
                worker.execute(() -> onSnapshot(s));
            } else if (a.isModelDelta()) {
                SnapshotDelta d = WireCodec.decodeSnapshotDelta(payload);
                if (!d.modelId().equals(a.modelId())) {
                    throw new ProtocolException(RejectReason.IDENTITY_MISMATCH, "delta of " + d.modelId()
                            + " on the topic of " + a.modelId());
                }
                worker.execute(() -> onDelta(d));
            } else if (a.deviceId().equals(settings.deviceId()) && a.kind() == Topics.DeviceTopic.TASK) {
                TrainTask t = WireCodec.decodeTask(payload, settings.deviceId(), verifier);
                t.requireWithinDeviceBounds(clock.millis());
                worker.execute(() -> onTask(t));
            } else if (a.deviceId().equals(settings.deviceId()) && a.kind() == Topics.DeviceTopic.DEPLOY) {
                decodeDeploy(payload);
            } else if (a.deviceId().equals(settings.deviceId()) && a.kind() == Topics.DeviceTopic.REJECT) {
                Reject r = WireCodec.decodeReject(payload, verifier);
                LOG.log(System.Logger.Level.WARNING, "coordinator rejected our message: {0} {1}", r.reason(), r.detail());
            }
        } catch (ProtocolException e) {
            rejected.computeIfAbsent(e.reason(), k -> new AtomicLong()).incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "refused message on {0}: {1}", topic, e.getMessage());
        }
    }

    // ------------------------------------------------------------------ worker thread

    private void ingest() {
        Optional<Sample> next = data.next();
        if (next.isEmpty()) {
            return;
        }
        Sample s = next.get();
        samplesSeen.incrementAndGet();
        if (learner == null) {
            if (earlySamples.size() == settings.bufferCapacity()) {
                earlySamples.removeFirst();
            }
            earlySamples.addLast(s);
            startWithHeldSnapshot();
        } else {
            observe(s);
        }
        if (waitingForSamples != null) {
            Deploy d = waitingForSamples;
            waitingForSamples = null;
            applyDeploy(d);
        }
        if (samplesSeen.get() % settings.metricsEvery() == 0) {
            publishMetrics();
        }
    }

    private void observe(Sample s) {
        try {
            float loss = learner.observe(s.x(), s.y());
            if (predictions) {
                publishPrediction();
            }
            if (shadow != null) {
                shadowCandidateLoss += loss;
                shadowPreviousLoss += shadow.observe(s.x(), s.y());
                if (generic != null) {
                    shadowGenericLoss += generic.observe(s.x(), s.y());
                }
                if (++shadowCount >= shadowTarget) {
                    shadow = null;
                    report(DeploymentStatus.State.SERVING, status.rolloutId(), status.wave(), status.targetVersion(),
                            "", status.personalised());
                    generic = null;
                }
            }
        } catch (IllegalArgumentException e) {
            samplesRejected.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "sample refused: {0}", e.getMessage());
        }
    }

    private void publishMetrics() {
        if (learner == null) {
            return;
        }
        Network n = learner.network();
        double accuracy = n.config().loss() == Loss.SOFTMAX_CROSS_ENTROPY ? learner.prequentialAccuracy() : Double.NaN;
        DeviceMetrics m = new DeviceMetrics(settings.deviceId(), samplesSeen.get(), learner.prequentialLoss(), accuracy,
                n.saturationCount(), n.arenaUsedBytes());
        try {
            transport.publish(topics.device(settings.deviceId(), Topics.DeviceTopic.METRICS), WireCodec.encode(m), false);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "metrics not sent: {0}", e.getMessage());
        }
    }

    private void onSnapshot(ModelSnapshot s) {
        ModelSnapshot known = snapshots.get(s.modelId());
        if (known != null && known.version() >= s.version()) {
            return;
        }
        snapshots.put(s.modelId(), s);
        deviceModels.remove(s.modelId());
        // A deployed version stays served until the next deploy; new meta-model versions only feed rounds.
        if (serving == null && (learner == null || s.modelId().equals(learnerModel))) {
            Optional<Model> model = deviceModel(s);
            if (model.isPresent()) {
                startOrReloadLearner(s.modelId(), model.get());
                modelVersion.set(s.version());
            }
        }
        runPendingTasks();
    }

    /**
     * A new version as a delta: rebuilt from the version held, verified like a full snapshot, then used as one. The
     * first delta that applies ends the subscription to full snapshots (they are then needed only to catch up); a delta
     * the device cannot use (it holds another version, or the result does not verify) starts it again, and the broker
     * sends the retained latest snapshot at once.
     */
    private void onDelta(SnapshotDelta d) {
        ModelSnapshot known = snapshots.get(d.modelId());
        if (known != null && known.version() >= d.toVersion()) {
            if (known.version() == d.toVersion()) {
                fullSnapshots(false); // the full snapshot came first, but deltas follow the version held: use them
            }
            return;
        }
        try {
            if (known == null || known.version() != d.fromVersion()) {
                throw new ProtocolException(RejectReason.STALE_BASE_VERSION, "delta from v" + d.fromVersion() + " of "
                        + d.modelId() + ", holding " + (known == null ? "none" : "v" + known.version()));
            }
            ModelSnapshot rebuilt = d.applyTo(known);
            verifier.verify(rebuilt);
            deltasApplied.incrementAndGet();
            onSnapshot(rebuilt);
            fullSnapshots(false);
        } catch (ProtocolException e) {
            if (e.reason() != RejectReason.STALE_BASE_VERSION) {
                rejected.computeIfAbsent(e.reason(), k -> new AtomicLong()).incrementAndGet();
            }
            LOG.log(System.Logger.Level.INFO, "model delta not used ({0}); fetching the full snapshot", e.getMessage());
            fullSnapshots(true);
        }
    }

    /** Subscribes to the retained full snapshots, or ends that subscription (worker thread). */
    private void fullSnapshots(boolean wanted) {
        if (fullSnapshots == wanted) {
            return;
        }
        try {
            if (wanted) {
                transport.subscribe(topics.allModels());
            } else {
                transport.unsubscribe(topics.allModels());
            }
            fullSnapshots = wanted;
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "could not {0} full snapshots: {1}", wanted ? "subscribe to"
                    : "unsubscribe from", e.getMessage());
        }
    }

    /**
     * The meta-model arrived before the first sample (an S16 device could not calibrate it then): start learning from
     * it now, once per held version.
     */
    private void startWithHeldSnapshot() {
        if (serving != null || snapshots.isEmpty()) {
            return;
        }
        ModelSnapshot held = snapshots.values().iterator().next();
        if (held.version() == lateStartTried) {
            return;
        }
        lateStartTried = held.version();
        Optional<Model> model = deviceModel(held);
        if (model.isPresent()) {
            startOrReloadLearner(held.modelId(), model.get());
            if (learner != null) {
                modelVersion.set(held.version());
                runPendingTasks();
            }
        }
    }

    private long lateStartTried = -1;

    /** The snapshot in this device's training format (quantised on the device when needed). */
    private Optional<Model> deviceModel(ModelSnapshot s) {
        Model cached = deviceModels.get(s.modelId());
        if (cached != null) {
            return Optional.of(cached);
        }
        List<float[]> calibration = calibration(s.model());
        Optional<Model> m = inDeviceFormat(s.model(), calibration);
        if (m.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "no samples yet to calibrate {0} for S16", s.modelId());
        } else if (s.model().format() == settings.profile().trainingFormat()
                || settings.profile().trainingFormat() == NumberFormat.F32
                || calibration.size() >= settings.bufferCapacity()) {
            // A model calibrated on a buffer still filling is used now and calibrated again on the fuller buffer next
            // time, so the scales a task trains with do not depend on when the snapshot happened to arrive.
            deviceModels.put(s.modelId(), m.get());
        }
        return m;
    }

    private List<float[]> calibration(Model m) {
        List<float[]> calibration = new ArrayList<>();
        for (Sample sample : recentSamples()) {
            if (sample.x().length == m.architecture().inputSize()) {
                calibration.add(sample.x());
            }
        }
        return calibration;
    }

    /** {@code m} in this device's training format; empty when S16 needs calibration samples and there are none. */
    private Optional<Model> inDeviceFormat(Model m, List<float[]> calibration) {
        NumberFormat format = settings.profile().trainingFormat();
        if (m.format() == format) {
            return Optional.of(m);
        }
        if (format == NumberFormat.F32) {
            return Optional.of(Quantizer.toF32(m));
        }
        return calibration.isEmpty() ? Optional.empty() : Optional.of(Quantizer.toS16(m, calibration));
    }

    private void startOrReloadLearner(String modelId, Model model) {
        if (learner != null && learner.network().architecture().equals(model.architecture())
                && learner.network().format() == model.format()) {
            learner.network().load(model);
            return;
        }
        Optional<TrainingConfig> config = fittingConfig(model, settings.onlineLearningRate(), 1);
        if (config.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "{0} does not fit {1} B of RAM even for last-layer learning", modelId,
                    String.valueOf(settings.profile().ramBytes()));
            return;
        }
        List<Sample> buffered = recentSamples();
        learner = new OnlineLearner(Network.prepare(model, config.get()), settings.bufferCapacity());
        learnerModel = modelId;
        earlySamples.clear();
        for (Sample s : buffered) {
            observe(s);
        }
    }

    /** All layers if the training arena fits the device's RAM, else only the last one, else nothing. */
    private Optional<TrainingConfig> fittingConfig(Model model, float lr, int accumulation) {
        return settings.profile().trainingConfig(model, lr, accumulation, settings.seed());
    }

    private List<Sample> recentSamples() {
        return learner != null ? learner.recentSamples() : new ArrayList<>(earlySamples);
    }

    private void onTask(TrainTask t) {
        pendingTasks.add(t);
        runPendingTasks();
        long wait = t.deadline().toEpochMilli() - clock.millis();
        if (wait > 0) {
            worker.schedule(this::runPendingTasks, wait + 1, TimeUnit.MILLISECONDS);
        }
    }

    private void runPendingTasks() {
        for (Iterator<TrainTask> it = pendingTasks.iterator(); it.hasNext(); ) {
            TrainTask t = it.next();
            if (clock.millis() > t.deadline().toEpochMilli()) {
                it.remove();
                drop(t, "deadline passed before the model version arrived");
                continue;
            }
            ModelSnapshot s = snapshots.get(t.modelId());
            if (s == null || s.version() < t.modelVersion()) {
                continue;
            }
            it.remove();
            if (s.version() > t.modelVersion()) {
                drop(t, "a newer model version " + s.version() + " replaced " + t.modelVersion());
                continue;
            }
            try {
                train(t, s);
            } catch (RuntimeException e) {
                drop(t, e.getMessage());
            }
        }
    }

    private void drop(TrainTask t, String why) {
        tasksDropped.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "round {0}: task dropped: {1}", String.valueOf(t.round()), why);
    }

    private void train(TrainTask t, ModelSnapshot s) {
        List<Sample> samples = new ArrayList<>();
        Optional<Model> theta = deviceModel(s);
        if (theta.isEmpty()) {
            drop(t, "no samples to calibrate the model");
            return;
        }
        for (Sample sample : recentSamples()) {
            if (sample.x().length == theta.get().architecture().inputSize()
                    && sample.y().length == theta.get().architecture().outputSize()) {
                samples.add(sample);
            }
        }
        if (samples.isEmpty()) {
            drop(t, "no local samples of the model's shape");
            return;
        }
        int batch = Math.min(t.batchSize(), samples.size());
        TrainingConfig config = fittingConfig(theta.get(), t.learningRate(), batch)
                .orElseThrow(() -> new IllegalStateException("model does not fit RAM"));
        Model start = theta.get();
        if (t.personalLayers() > 0) { // partial local reconstruction: re-fit the personal layers, the rest frozen
            if (t.personalLayers() >= start.architecture().parametrizedLayerCount()) {
                drop(t, "the model has no layer left to share beside " + t.personalLayers() + " personal ones");
                return;
            }
            TrainingConfig personal = config.toBuilder().trainableLayers(t.personalLayers()).build();
            start = Reptile.adapt(scratch(theta.get(), personal), theta.get(), samples, t.innerSteps(), t.learningRate());
        }
        Network scratch = scratch(theta.get(), config);
        scratch.load(start);
        float before = meanLoss(scratch, samples);
        Model phi = Reptile.adapt(scratch, start, samples, t.innerSteps(), t.learningRate());
        float after = meanLoss(scratch, samples);
        float[] delta = Reptile.delta(phi, start);
        if (t.personalLayers() > 0) {
            Reptile.keepPersonal(delta, start.architecture(), t.personalLayers());
        }
        if (clock.millis() > t.deadline().toEpochMilli()) {
            drop(t, "adaptation finished after the deadline");
            return;
        }
        ModelUpdate u = new ModelUpdate(t.round(), settings.deviceId(), t.modelId(), t.modelVersion(), delta,
                samples.size(), before, after);
        byte[] payload;
        if (t.compressedUplink()) {
            DeltaCompressor c = compressors.compute(t.modelId(),
                    (id, old) -> DeltaCompressor.reuse(old, delta.length, theta.get().format()));
            payload = WireCodec.encode(u, c.compress(delta, t.uplinkFraction()));
        } else {
            payload = WireCodec.encode(u, theta.get().format(), 0);
        }
        try {
            transport.publish(topics.device(settings.deviceId(), Topics.DeviceTopic.UPDATE), payload, false);
            updatesPublished.incrementAndGet();
            updateBytesPublished.addAndGet(payload.length);
            LOG.log(System.Logger.Level.INFO, "round {0}: update sent ({1} samples, loss {2} -> {3})",
                    String.valueOf(t.round()), samples.size(), before, after);
        } catch (Exception e) {
            drop(t, "publish failed: " + e.getMessage());
        }
    }

    /** A scratch network for {@code model}'s architecture and format under {@code config}, made once and kept. */
    private Network scratch(Model model, TrainingConfig config) {
        String key = model.architecture().name() + "/" + model.format() + "/" + config;
        return scratchNetworks.computeIfAbsent(key, k -> Network.prepare(model, config));
    }

    private static float meanLoss(Network net, List<Sample> samples) {
        float[] out = new float[net.architecture().outputSize()];
        boolean ce = net.config().loss() == Loss.SOFTMAX_CROSS_ENTROPY;
        double sum = 0;
        for (Sample s : samples) {
            net.infer(s.x(), out);
            for (int i = 0; i < out.length; i++) {
                if (ce) {
                    sum -= s.y()[i] == 0 ? 0 : s.y()[i] * Math.log(Math.max(out[i], 1e-12));
                } else {
                    sum += (out[i] - s.y()[i]) * (double) (out[i] - s.y()[i]) / out.length;
                }
            }
        }
        return (float) (sum / samples.size());
    }

    // ------------------------------------------------------------------ deployments

    /** Client thread: verifies a deploy and hands it to the worker; a refused one is reported as FAILED. */
    private void decodeDeploy(byte[] payload) {
        try {
            Deploy d = WireCodec.decodeDeploy(payload, settings.deviceId(), verifier);
            d.requireWithinDeviceBounds();
            worker.execute(() -> onDeploy(d));
        } catch (ProtocolException e) {
            rejected.computeIfAbsent(e.reason(), k -> new AtomicLong()).incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "refused deploy: {0}", e.getMessage());
            String rollout = WireCodec.unverifiedRolloutId(payload).orElse("unknown");
            worker.execute(() -> refuse(rollout, 0, -1, e.getMessage()));
        }
    }

    private void onDeploy(Deploy d) {
        if (!d.issuedAt().isAfter(lastIssued)) {
            LOG.log(System.Logger.Level.WARNING, "ignored deploy of rollout {0} issued at {1}: the last one applied was "
                    + "issued at {2}", d.rolloutId(), d.issuedAt(), lastIssued);
            if (status != null) {
                publishStatus();
            }
            return;
        }
        lastIssued = d.issuedAt();
        waitingForSamples = null;
        applyDeploy(d);
    }

    private void applyDeploy(Deploy d) {
        try {
            if (d.action() == Deploy.Action.ROLLBACK) {
                rollback(d);
            } else {
                install(d);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "deploy of rollout " + d.rolloutId() + " failed", e);
            refuse(d.rolloutId(), d.wave(), d.snapshot() == null ? -1 : d.snapshot().version(), String.valueOf(e.getMessage()));
        }
    }

    private void install(Deploy d) {
        ModelSnapshot s = d.snapshot();
        long target = s.version();
        if (status != null && serving != null && status.rolloutId().equals(d.rolloutId())
                && serving.snapshot().version() == target && status.state() != DeploymentStatus.State.FAILED
                && status.state() != DeploymentStatus.State.ROLLED_BACK) {
            publishStatus(); // sent again (a restarted coordinator): already installed
            return;
        }
        var arch = s.model().architecture();
        List<Sample> recent = new ArrayList<>();
        List<Sample> all = recentSamples();
        for (Sample sample : all) {
            if (sample.x().length == arch.inputSize() && sample.y().length == arch.outputSize()) {
                recent.add(sample);
            }
        }
        if (!all.isEmpty() && recent.isEmpty()) {
            refuse(d.rolloutId(), d.wave(), target, "the model takes " + arch.inputSize() + " inputs and gives "
                    + arch.outputSize() + " outputs; this device's samples have " + all.get(0).x().length + " and "
                    + all.get(0).y().length);
            return;
        }
        Optional<Model> converted = inDeviceFormat(s.model(), calibration(s.model()));
        if (converted.isEmpty()) {
            // Not a refusal: the device has not seen a sample yet (it just booted); the install goes ahead with the first.
            if (waitingForSamples == null) {
                report(DeploymentStatus.State.RECEIVED, d.rolloutId(), d.wave(), target,
                        "waiting for the first samples to calibrate the model for S16", false);
            }
            waitingForSamples = d;
            return;
        }
        waitingForSamples = null;
        Model candidate = converted.get();
        Optional<TrainingConfig> config = fittingConfig(candidate, settings.onlineLearningRate(), 1);
        if (config.isEmpty()) {
            refuse(d.rolloutId(), d.wave(), target, "the model does not fit this device's " + settings.profile().ramBytes()
                    + " B of RAM, even for last-layer learning");
            return;
        }
        boolean personalised = d.personaliseSteps() > 0 && !recent.isEmpty();
        Model released = candidate;
        candidate = personalise(candidate, d, recent);
        DeploymentFiles.Slot before = currentSlot();
        previous = before;
        serving = new DeploymentFiles.Slot(s, candidate);
        installs.incrementAndGet();
        shadow = null;
        generic = null;
        startOrReloadLearner(s.modelId(), candidate);
        modelVersion.set(target);
        shadowCount = 0;
        shadowCandidateLoss = 0;
        shadowPreviousLoss = 0;
        shadowGenericLoss = 0;
        shadowTarget = d.shadowSamples();
        String note = "";
        if (before != null && shadowTarget > 0) {
            // The baseline is the served version's own release, personalised exactly like the candidate: both start
            // from their version and see the same samples, so the ratio measures the versions, not how long the
            // served copy has been learning on this device.
            Optional<Model> release = inDeviceFormat(before.snapshot().model(), calibration(before.snapshot().model()));
            Optional<TrainingConfig> beside = release.flatMap(m -> fittingConfig(m, settings.onlineLearningRate(), 1));
            Network baseline = beside.map(c -> Network.prepare(personalise(release.get(), d, recent), c)).orElse(null);
            if (baseline != null
                    && baseline.arenaUsedBytes() + learner.network().arenaUsedBytes() <= settings.profile().ramBytes()) {
                shadow = new OnlineLearner(baseline, 1);
                Network unpersonalised = personalised ? Network.prepare(released, learner.network().config()) : null;
                if (unpersonalised != null && unpersonalised.arenaUsedBytes() + baseline.arenaUsedBytes()
                        + learner.network().arenaUsedBytes() <= settings.profile().ramBytes()) {
                    generic = new OnlineLearner(unpersonalised, 1);
                }
            } else {
                note = "no RAM to run the previous version beside it: not compared";
            }
        }
        LOG.log(System.Logger.Level.INFO, "rollout {0}: serving {1} v{2}{3}", d.rolloutId(), s.modelId(),
                String.valueOf(target), personalised ? " (personalised)" : "");
        report(shadow != null ? DeploymentStatus.State.SHADOWING : DeploymentStatus.State.SERVING, d.rolloutId(), d.wave(),
                target, note, personalised);
    }

    /**
     * {@code model} adapted with the deploy's personalisation steps on {@code samples}, in minibatches of up to ten
     * (as a round adapts); {@code model} itself when no personalisation is asked for or there are no samples.
     */
    private Model personalise(Model model, Deploy d, List<Sample> samples) {
        if (d.personaliseSteps() == 0 || samples.isEmpty()) {
            return model;
        }
        int batch = Math.min(samples.size(), 10);
        TrainingConfig c = fittingConfig(model, d.personaliseLearningRate(), batch).orElseThrow(() ->
                new IllegalStateException("the model does not fit RAM for personalisation"));
        return Reptile.adapt(Network.prepare(model, c), model, samples, d.personaliseSteps(), d.personaliseLearningRate());
    }

    private void rollback(Deploy d) {
        boolean installed = status != null && status.rolloutId().equals(d.rolloutId()) && serving != null
                && serving.snapshot().version() == status.targetVersion()
                && (status.state() == DeploymentStatus.State.SHADOWING || status.state() == DeploymentStatus.State.SERVING);
        long target = status != null && status.rolloutId().equals(d.rolloutId()) ? status.targetVersion() : -1;
        if (installed && previous != null) {
            serving = previous;
            previous = null;
            shadow = null;
            generic = null;
            startOrReloadLearner(serving.snapshot().modelId(), serving.weights());
            modelVersion.set(serving.snapshot().version());
            LOG.log(System.Logger.Level.INFO, "rollout {0}: rolled back to {1} v{2}", d.rolloutId(),
                    serving.snapshot().modelId(), String.valueOf(serving.snapshot().version()));
            report(DeploymentStatus.State.ROLLED_BACK, d.rolloutId(), d.wave(), target, "rolled back by the coordinator",
                    false);
        } else {
            report(DeploymentStatus.State.ROLLED_BACK, d.rolloutId(), d.wave(), Math.max(0, target), installed
                    ? "no version to return to: still serving it" : "nothing of the rollout installed: serving unchanged",
                    false);
        }
    }

    /** What the device serves now, with the weights it has learned since: the slot an install displaces. */
    private DeploymentFiles.Slot currentSlot() {
        if (learner == null) {
            return null;
        }
        ModelSnapshot s = serving != null ? serving.snapshot() : snapshots.get(learnerModel);
        if (s == null || (serving == null && s.version() != modelVersion.get())) {
            return null;
        }
        return new DeploymentFiles.Slot(s, learner.network().snapshot());
    }

    private void refuse(String rolloutId, int wave, long target, String reason) {
        LOG.log(System.Logger.Level.WARNING, "rollout {0}: refused: {1}", rolloutId, reason);
        report(DeploymentStatus.State.FAILED, rolloutId, wave, Math.max(0, target), reason, false);
    }

    private void report(DeploymentStatus.State state, String rolloutId, int wave, long target, String reason,
                        boolean personalised) {
        String modelId = serving != null ? serving.snapshot().modelId()
                : learnerModel != null ? learnerModel : status != null ? status.modelId() : "none";
        long servingVersion = serving != null ? serving.snapshot().version() : learner != null ? modelVersion.get() : -1;
        boolean compared = shadowCount > 0 && (state == DeploymentStatus.State.SHADOWING
                || state == DeploymentStatus.State.SERVING);
        status = new DeploymentStatus(settings.deviceId(), rolloutId, wave, state, modelId, servingVersion,
                previous == null ? -1 : previous.snapshot().version(), target, reason, compared ? shadowCount : 0,
                compared ? shadowCandidateLoss / shadowCount : Double.NaN,
                compared ? shadowPreviousLoss / shadowCount : Double.NaN, personalised,
                learner == null ? null : learner.network().format(),
                compared && generic != null ? shadowGenericLoss / shadowCount : Double.NaN);
        if (files != null && (serving != null || state == DeploymentStatus.State.FAILED)) {
            try {
                files.save(learnerSlot(), previous, status, lastIssued, shadow == null ? 0 : shadowTarget);
            } catch (java.io.UncheckedIOException e) {
                LOG.log(System.Logger.Level.ERROR, e.getMessage());
            }
        }
        publishStatus();
    }

    /** The serving slot with the weights learned online so far (what a restart should serve). */
    private DeploymentFiles.Slot learnerSlot() {
        if (serving == null || learner == null) {
            return serving;
        }
        return new DeploymentFiles.Slot(serving.snapshot(), learner.network().snapshot());
    }

    private void publishStatus() {
        reported = status;
        try {
            transport.publish(topics.device(settings.deviceId(), Topics.DeviceTopic.DEPLOYMENT), WireCodec.encode(status),
                    true);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "deployment status not sent: {0}", e.getMessage());
        }
    }

    /** Worker, before connecting: serve what the state directory says was served. */
    private void restore() throws java.io.IOException {
        Optional<DeploymentFiles.Saved> saved = files.load(verifier);
        if (saved.isEmpty()) {
            return;
        }
        DeploymentFiles.Saved s = saved.get();
        status = s.status();
        reported = status;
        lastIssued = s.lastIssued();
        previous = s.previous();
        serving = s.serving();
        if (serving != null) {
            startOrReloadLearner(serving.snapshot().modelId(), serving.weights());
            modelVersion.set(serving.snapshot().version());
            if (status.state() == DeploymentStatus.State.SHADOWING && previous != null && s.shadowTarget() > 0) {
                // Resumed from the previous release (the samples it was personalised on are gone), counting anew.
                Model release = previous.snapshot().model().format() == previous.weights().format()
                        ? previous.snapshot().model() : previous.weights();
                fittingConfig(release, settings.onlineLearningRate(), 1).ifPresent(c -> {
                    shadow = new OnlineLearner(Network.prepare(release, c), 1);
                    shadowTarget = s.shadowTarget();
                });
            }
            LOG.log(System.Logger.Level.INFO, "serving {0} v{1} from {2}", serving.snapshot().modelId(),
                    String.valueOf(serving.snapshot().version()), files.directory());
        }
    }

    private volatile boolean predictions;
    private float[] predictionBuffer;

    /**
     * Publishes what the served model outputs for every live sample on {@code device/{id}/prediction} (not
     * retained), before it learns from the sample. Set before {@link #start()}.
     */
    public Agent publishPredictions(boolean on) {
        this.predictions = on;
        return this;
    }

    private void publishPrediction() {
        int outputs = learner.network().architecture().outputSize();
        if (predictionBuffer == null || predictionBuffer.length != outputs) {
            predictionBuffer = new float[outputs];
        }
        learner.lastPrediction(predictionBuffer);
        String modelId = serving != null ? serving.snapshot().modelId() : learnerModel;
        try {
            transport.publish(topics.device(settings.deviceId(), Topics.DeviceTopic.PREDICTION), WireCodec.encode(
                    new io.tinyfed.protocol.Prediction(settings.deviceId(), modelId, modelVersion.get(), samplesSeen.get(),
                            predictionBuffer, clock.millis())), false);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "prediction not sent: {0}", e.getMessage());
        }
    }

    /** The last deployment status this device reported; empty before its first deploy. */
    public Optional<DeploymentStatus> deployment() {
        return Optional.ofNullable(reported);
    }

    // ------------------------------------------------------------------ lifecycle

    public Stats stats() {
        Map<RejectReason, Long> r = new EnumMap<>(RejectReason.class);
        rejected.forEach((k, v) -> r.put(k, v.get()));
        return new Stats(samplesSeen.get(), samplesRejected.get() + data.rejected(), updatesPublished.get(),
                tasksDropped.get(), r, modelVersion.get(), installs.get(), updateBytesPublished.get(),
                deltasApplied.get());
    }

    /** Announces offline, disconnects and stops the worker. */
    @Override
    public void close() {
        try {
            transport.publish(topics.device(settings.deviceId(), Topics.DeviceTopic.STATE),
                    WireCodec.encode(new DeviceState(settings.deviceId(), false)), true);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "offline state not sent: {0}", e.getMessage());
        }
        worker.shutdownNow();
        transport.close();
        data.close();
    }
}
