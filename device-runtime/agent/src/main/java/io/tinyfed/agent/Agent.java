package io.tinyfed.agent;

import io.tinyfed.protocol.mqtt.Transport;
import io.tinyfed.core.Loss;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.OnlineLearner;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.Reptile;
import io.tinyfed.core.Sample;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.DeviceMetrics;
import io.tinyfed.protocol.DeviceState;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.Reject;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.WireCodec;
import java.time.Clock;
import java.time.Duration;
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
     */
    public record Settings(String fleet, String deviceId, HardwareProfile profile, float onlineLearningRate,
                           int bufferCapacity, Duration sampleInterval, int metricsEvery, long seed,
                           String runtimeVersion) {
        public Settings {
            Topics.of(fleet).device(deviceId, Topics.DeviceTopic.HELLO); // validates both ids
            if (bufferCapacity < 1 || metricsEvery < 1 || sampleInterval.isNegative() || sampleInterval.isZero()) {
                throw new IllegalArgumentException("buffer, metrics period and sample interval must be positive");
            }
        }
    }

    /** Counters for operators and tests. */
    public record Stats(long samplesSeen, long samplesRejected, long updatesPublished, long tasksDropped,
                        Map<RejectReason, Long> messagesRejected, long modelVersion) {
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
    private final ArrayDeque<Sample> earlySamples = new ArrayDeque<>();
    private final List<TrainTask> pendingTasks = new ArrayList<>();
    private OnlineLearner learner;
    private String learnerModel;

    private final AtomicLong samplesSeen = new AtomicLong();
    private final AtomicLong samplesRejected = new AtomicLong();
    private final AtomicLong updatesPublished = new AtomicLong();
    private final AtomicLong tasksDropped = new AtomicLong();
    private final AtomicLong modelVersion = new AtomicLong(-1);
    private final Map<RejectReason, AtomicLong> rejected = new ConcurrentHashMap<>();

    public Agent(Settings settings, Transport transport, DataSource data, SnapshotVerifier verifier, Clock clock) {
        this.settings = settings;
        this.transport = transport;
        this.data = data;
        this.verifier = verifier;
        this.clock = clock;
        this.topics = Topics.of(settings.fleet());
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tinyfed-agent-" + settings.deviceId());
            t.setDaemon(true);
            return t;
        });
    }

    /** Connects (with the offline state as last will) and starts polling the data source. */
    public void start() throws Exception {
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
            DeviceHello hello = new DeviceHello(settings.deviceId(), settings.fleet(), p.ramBytes(), p.flashBytes(),
                    p.cpu(), p.clockMhz(), p.formatSet(), p.sensors(), settings.runtimeVersion(), p.firmwareVersion(),
                    null);
            // Subscribe before announcing, so a coordinator that reacts to the hello cannot miss us.
            transport.subscribe(topics.device(settings.deviceId(), Topics.DeviceTopic.TASK),
                    topics.device(settings.deviceId(), Topics.DeviceTopic.REJECT), topics.allModels());
            transport.publish(topics.device(settings.deviceId(), Topics.DeviceTopic.HELLO), WireCodec.encode(hello), true);
            transport.publish(topics.device(settings.deviceId(), Topics.DeviceTopic.STATE),
                    WireCodec.encode(new DeviceState(settings.deviceId(), true)), true);
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
            } else if (a.deviceId().equals(settings.deviceId()) && a.kind() == Topics.DeviceTopic.TASK) {
                TrainTask t = WireCodec.decodeTask(payload, settings.deviceId(), verifier);
                t.requireWithinDeviceBounds(clock.millis());
                worker.execute(() -> onTask(t));
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
        } else {
            observe(s);
        }
        if (samplesSeen.get() % settings.metricsEvery() == 0) {
            publishMetrics();
        }
    }

    private void observe(Sample s) {
        try {
            learner.observe(s.x(), s.y());
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
        if (learner == null || s.modelId().equals(learnerModel)) {
            Optional<Model> model = deviceModel(s);
            if (model.isPresent()) {
                startOrReloadLearner(s.modelId(), model.get());
                modelVersion.set(s.version());
            }
        }
        runPendingTasks();
    }

    /** The snapshot in this device's training format (quantised on the device when needed). */
    private Optional<Model> deviceModel(ModelSnapshot s) {
        Model cached = deviceModels.get(s.modelId());
        if (cached != null) {
            return Optional.of(cached);
        }
        NumberFormat format = settings.profile().trainingFormat();
        Model m = s.model();
        if (m.format() != format) {
            if (format == NumberFormat.F32) {
                m = Quantizer.toF32(m);
            } else {
                List<float[]> calibration = new ArrayList<>();
                for (Sample sample : recentSamples()) {
                    if (sample.x().length == m.architecture().inputSize()) {
                        calibration.add(sample.x());
                    }
                }
                if (calibration.isEmpty()) {
                    LOG.log(System.Logger.Level.INFO, "no samples yet to calibrate {0} for S16", s.modelId());
                    return Optional.empty();
                }
                m = Quantizer.toS16(m, calibration);
                if (calibration.size() < settings.bufferCapacity()) {
                    // Calibrated on a buffer still filling: use it now, calibrate again on the fuller buffer next
                    // time, so the scales a task trains with do not depend on when the snapshot happened to arrive.
                    return Optional.of(m);
                }
            }
        }
        deviceModels.put(s.modelId(), m);
        return Optional.of(m);
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
        String key = theta.get().architecture().name() + "/" + theta.get().format() + "/" + config;
        Network scratch = scratchNetworks.computeIfAbsent(key, k -> Network.prepare(theta.get(), config));
        scratch.load(theta.get());
        float before = meanLoss(scratch, samples);
        Model phi = Reptile.adapt(scratch, theta.get(), samples, t.innerSteps(), t.learningRate());
        float after = meanLoss(scratch, samples);
        float[] delta = Reptile.delta(phi, theta.get());
        if (clock.millis() > t.deadline().toEpochMilli()) {
            drop(t, "adaptation finished after the deadline");
            return;
        }
        ModelUpdate u = new ModelUpdate(t.round(), settings.deviceId(), t.modelId(), t.modelVersion(), delta,
                samples.size(), before, after);
        try {
            transport.publish(topics.device(settings.deviceId(), Topics.DeviceTopic.UPDATE),
                    WireCodec.encode(u, theta.get().format(), 0), false);
            updatesPublished.incrementAndGet();
            LOG.log(System.Logger.Level.INFO, "round {0}: update sent ({1} samples, loss {2} -> {3})",
                    String.valueOf(t.round()), samples.size(), before, after);
        } catch (Exception e) {
            drop(t, "publish failed: " + e.getMessage());
        }
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

    // ------------------------------------------------------------------ lifecycle

    public Stats stats() {
        Map<RejectReason, Long> r = new EnumMap<>(RejectReason.class);
        rejected.forEach((k, v) -> r.put(k, v.get()));
        return new Stats(samplesSeen.get(), samplesRejected.get() + data.rejected(), updatesPublished.get(),
                tasksDropped.get(), r, modelVersion.get());
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
