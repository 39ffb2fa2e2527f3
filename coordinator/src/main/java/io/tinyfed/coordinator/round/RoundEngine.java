package io.tinyfed.coordinator.round;

import io.tinyfed.coordinator.store.ModelStore;
import io.tinyfed.coordinator.strategy.Failure;
import io.tinyfed.coordinator.strategy.Reply;
import io.tinyfed.coordinator.strategy.Strategy;
import io.tinyfed.core.ArenaPlan;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.Reject;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.TrainTask;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The state machine of federated rounds for one model: select, publish tasks, collect, aggregate,
 * publish the new version. Transport-free (it talks to a {@link FleetGateway}) and clock-driven
 * ({@link #onTick} closes rounds at their deadline), so tests drive it deterministically.
 *
 * <p>Updates are validated ({@link UpdateValidator}); refusals are values with reasons, counted,
 * sent back as {@link Reject}s, and never change the model. A device contributes at most once per
 * round, and round numbers are never reused across restarts ({@link ModelStore#roundStarted}), so
 * no update is counted twice. Thread-safe: every entry point is synchronized.
 *
 * <p>Rounds are synchronous unless {@link #setAsync} makes them asynchronous buffers ({@link AsyncSettings}); how
 * updates and versions travel ({@link #setUplinkPermille}, {@link #setDownlinkPermille}) and which layers stay on the
 * devices ({@link #setPersonalLayers}) apply to both.
 */
public final class RoundEngine {
    private static final System.Logger LOG = System.getLogger(RoundEngine.class.getName());

    /**
     * @param quorum     fraction of the selected devices whose accepted updates close a round early
     * @param minReplies accepted updates needed to aggregate at the deadline (fewer: no new version)
     */
    public record Settings(String modelId, int innerSteps, float innerLearningRate, int batchSize, Duration roundTimeout,
                           double quorum, int minReplies, double normBound, long seed) {
        public Settings {
            if (innerSteps < 1 || batchSize < 1 || minReplies < 1 || !(quorum > 0 && quorum <= 1)) {
                throw new IllegalArgumentException("invalid round settings");
            }
        }
    }

    /**
     * Asynchronous buffered Reptile (as FedBuff): devices train whenever they can and the engine applies an outer step
     * every {@code bufferSize} accepted updates, each weighted by its staleness (versions between the one it was
     * computed on and the one it is applied to; {@link io.tinyfed.coordinator.strategy.ReptileStrategy#stalenessWeight}).
     * A "round" is then one buffer: it opens with {@link #startRound}, and closes when its updates make a new version.
     * Tasks outlive it: up to {@code concurrency} devices train at once, each freed slot is given to another online
     * device at once, a task unanswered by its deadline frees its slot, and an answer on a version more than
     * {@code maxStaleness} versions old is refused ({@link RejectReason#STALE_BASE_VERSION}). Screening, robust
     * aggregation, quarantine and the straggler rest apply as in synchronous rounds.
     */
    public record AsyncSettings(int concurrency, int bufferSize, int maxStaleness) {
        public AsyncSettings {
            if (concurrency < 1 || bufferSize < 1 || maxStaleness < 0) {
                throw new IllegalArgumentException("asynchronous rounds need concurrency >= 1, a buffer >= 1 and a "
                        + "staleness bound >= 0, got " + concurrency + ", " + bufferSize + ", " + maxStaleness);
            }
        }
    }

    /**
     * What happened in one round. {@code newVersion} is -1 when the round produced none; {@code refusedDevices} are
     * the known devices that sent an update the round refused (they may also be stragglers, or accepted later).
     */
    public record RoundSummary(int round, long baseVersion, long newVersion, List<String> selected,
                               List<String> accepted, Map<RejectReason, Integer> rejected, List<String> stragglers,
                               Instant started, Instant ended, String outcome, double meanLossBefore,
                               double meanLossAfter, List<String> refusedDevices) {
    }

    private final Settings settings;
    private final LogThrottle refusalLog = new LogThrottle();
    /** Devices that straggled, and the last round they sit out. */
    private final Map<String, Integer> restingUntil = new java.util.HashMap<>();
    private int stragglerRest;
    private int uplinkPermille;
    private int personalLayers;
    /** Null: synchronous rounds. */
    private AsyncSettings async;
    /** Asynchronous mode: the task each training device was sent, the updates waiting for the outer step. */
    private final Map<String, TrainTask> outstanding = new LinkedHashMap<>();
    private final List<Reply> buffer = new ArrayList<>();
    private final List<String> roundAsked = new ArrayList<>();
    private final List<String> roundExpired = new ArrayList<>();
    private List<String> asyncEligible = List.of();
    private long dispatches;
    private int downlinkPermille;
    /** With downlink compression: what the published versions left out of the aggregated ones, sent later. */
    private io.tinyfed.core.DeltaCompressor downlink;
    private final Strategy strategy;
    private final ModelStore store;
    private final SnapshotSigner signer;
    private final FleetGateway gateway;
    private final Clock clock;
    private UpdateValidator validator;
    private final Inventory inventory;
    private final Map<String, DeviceHello> known = new TreeMap<>();
    private final Set<String> online = new HashSet<>();
    private final Map<RejectReason, Long> rejectedTotal = new EnumMap<>(RejectReason.class);
    private final Map<String, DeviceRefusals> refusedByDevice = new HashMap<>();
    private final List<RoundSummary> history = new ArrayList<>();
    private final Set<Integer> closedRounds = new HashSet<>();

    private io.tinyfed.core.Quarantine quarantine;
    /** The eligible count last reported as too few for a round (-1: none reported since the last round). */
    private int waitingWith = -1;
    private io.tinyfed.coordinator.strategy.Screening screening = io.tinyfed.coordinator.strategy.Screening.DEFAULT;
    private Model current;
    private ModelStore.Version currentVersion;
    private int lastRound;
    // The open round, if any.
    private int round = -1;
    private List<String> selected = List.of();
    /** {@link #selected} as a set, made once per round: every update is checked against it. */
    private Set<String> selectedSet = Set.of();
    private final Map<String, Reply> replies = new LinkedHashMap<>();
    private final Map<RejectReason, Integer> roundRejected = new EnumMap<>(RejectReason.class);
    private final Set<String> roundRefusedDevices = new java.util.TreeSet<>();
    private Instant started;
    private Instant deadline;

    /** An engine whose device inventory lives in memory ({@link InMemoryInventory}). */
    public RoundEngine(Settings settings, Strategy strategy, ModelStore store, SnapshotSigner signer,
                       FleetGateway gateway, Clock clock, Model initial) throws IOException {
        this(settings, strategy, store, signer, gateway, clock, initial, new InMemoryInventory());
    }

    /**
     * Resumes from the store's latest version of the model, or stores {@code initial} as version 1,
     * and tells {@code inventory} about that version.
     */
    public RoundEngine(Settings settings, Strategy strategy, ModelStore store, SnapshotSigner signer,
                       FleetGateway gateway, Clock clock, Model initial, Inventory inventory) throws IOException {
        this.settings = settings;
        this.inventory = inventory;
        this.strategy = strategy;
        this.store = store;
        this.signer = signer;
        this.gateway = gateway;
        this.clock = clock;
        this.validator = new UpdateValidator(settings.normBound());
        Optional<ModelStore.Version> latest = store.latest(settings.modelId());
        if (latest.isPresent()) {
            currentVersion = latest.get();
            current = store.load(currentVersion);
            LOG.log(System.Logger.Level.INFO, "resuming {0} at version {1}", settings.modelId(),
                    String.valueOf(currentVersion.version()));
        } else {
            if (initial.format() != NumberFormat.F32) {
                throw new IllegalArgumentException("the meta-model is kept in F32; devices quantise it themselves");
            }
            current = initial;
            ModelSnapshot s = signer.sign(settings.modelId(), 1, initial, clock.instant());
            currentVersion = store.save(s, 0, 0, "initial", List.of(), Map.of(), null);
        }
        inventory.versionStored(settings.modelId(), currentVersion.version(),
                currentVersion.parentVersion() > 0 ? currentVersion.parentVersion() : null, current, null,
                currentVersion.metaEvalLoss());
        lastRound = store.lastRoundStarted();
        for (int r = 1; r <= lastRound; r++) {
            closedRounds.add(r);
        }
    }

    /** Publishes the current snapshot (call once the transport is up, and after reconnects). */
    public synchronized void publishCurrent() {
        try {
            gateway.publishSnapshot(store.snapshot(currentVersion));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized void deviceHello(DeviceHello hello) {
        known.put(hello.deviceId(), hello);
        online.add(hello.deviceId());
        inventory.deviceHello(hello, clock.instant());
    }

    public synchronized void deviceState(String deviceId, boolean isOnline) {
        if (isOnline && known.containsKey(deviceId)) {
            online.add(deviceId);
        } else {
            online.remove(deviceId);
        }
        if (known.containsKey(deviceId)) {
            inventory.deviceState(deviceId, isOnline, clock.instant());
        }
    }

    /** The devices the inventory says may train the current version now (sorted ids). */
    public List<String> eligible() {
        Model model;
        long version;
        synchronized (this) {
            model = current;
            version = currentVersion.version();
        }
        // Outside the lock: with the registry this is a SPARQL query, and MQTT handling must not wait for it.
        return inventory.eligible(settings.modelId(), version, model);
    }

    /** A description the inventory refused: counted like any refused message and answered with a reject. */
    public synchronized void descriptionRefused(String deviceId, String report) {
        refuse(new Failure(deviceId, RejectReason.INVALID_FIELD, report), 0);
    }

    /** Starts the next round if none is open and enough devices are eligible; returns its number. */
    public Optional<Integer> startRound() {
        List<String> eligible = eligible();
        return startRound(eligible);
    }

    private synchronized Optional<Integer> startRound(List<String> eligible) {
        if (async != null) {
            return startBuffer(eligible);
        }
        if (round >= 0) {
            return Optional.empty();
        }
        if (quarantine != null) {
            eligible = eligible.stream().filter(id -> !quarantine.isQuarantined(id)).toList();
        }
        int next = lastRound + 1;
        if (!restingUntil.isEmpty()) {
            restingUntil.values().removeIf(until -> until < next);
            eligible = eligible.stream().filter(id -> !restingUntil.containsKey(id)).toList();
        }
        List<String> chosen = strategy.configureRound(next, eligible, settings.seed());
        if (chosen.size() < settings.minReplies()) {
            if (eligible.size() != waitingWith) {
                waitingWith = eligible.size();
                LOG.log(System.Logger.Level.INFO, "round {0} waits: {1} devices eligible, the strategy selects {2}, "
                        + "{3} updates needed", String.valueOf(next), eligible.size(), chosen.size(), settings.minReplies());
            }
            return Optional.empty();
        }
        waitingWith = -1;
        open(next);
        selected = List.copyOf(chosen);
        selectedSet = Set.copyOf(selected);
        replies.clear();
        TrainTask task = task(deadline);
        for (String id : selected) {
            gateway.sendTask(id, task);
        }
        LOG.log(System.Logger.Level.INFO, "round {0}: asked {1} devices", String.valueOf(round), selected.size());
        return Optional.of(round);
    }

    /**
     * Switches to asynchronous buffered rounds ({@link AsyncSettings}); null: synchronous rounds (the default).
     *
     * @throws IllegalStateException while a round is open or tasks are outstanding
     */
    public synchronized void setAsync(AsyncSettings settings) {
        if (round >= 0 || !outstanding.isEmpty()) {
            throw new IllegalStateException("switch between synchronous and asynchronous rounds between runs only");
        }
        async = settings;
    }

    /** The asynchronous settings, if rounds are asynchronous. */
    public synchronized Optional<AsyncSettings> async() {
        return Optional.ofNullable(async);
    }

    /** The task of the open round on the current version, with the round settings in force, due by {@code due}. */
    private TrainTask task(Instant due) {
        return new TrainTask(round, settings.modelId(), currentVersion.version(), settings.innerSteps(),
                settings.innerLearningRate(), settings.batchSize(), due, uplinkPermille, personalLayers);
    }

    /** Opens round {@code next}: recorded as started in the store first, so its number is never reused. */
    private void open(int next) {
        try {
            store.roundStarted(next);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lastRound = next;
        round = next;
        roundRejected.clear();
        roundRefusedDevices.clear();
        started = clock.instant();
        deadline = started.plus(settings.roundTimeout());
    }

    /**
     * Asynchronous mode: opens the next buffer if none is open (closing it at once if the updates that arrived in
     * between already fill it), then gives every free training slot to an eligible online device. Called again at any
     * time, it only refreshes who is eligible and fills free slots.
     */
    private Optional<Integer> startBuffer(List<String> eligible) {
        asyncEligible = List.copyOf(eligible);
        if (round < 0) {
            int next = lastRound + 1;
            open(next);
            roundAsked.clear();
            roundExpired.clear();
            restingUntil.values().removeIf(until -> until < next);
            if (buffer.size() >= async.bufferSize()) {
                flush();
                return Optional.of(next);
            }
        }
        dispatch();
        return Optional.of(round);
    }

    /** Asynchronous mode: tasks for the current version to eligible online idle devices, up to the concurrency. */
    private void dispatch() {
        if (round < 0) {
            return;
        }
        int free = async.concurrency() - outstanding.size();
        if (free <= 0) {
            return;
        }
        List<String> idle = new ArrayList<>();
        for (String id : asyncEligible) {
            if (online.contains(id) && !outstanding.containsKey(id) && !restingUntil.containsKey(id)
                    && (quarantine == null || !quarantine.isQuarantined(id))) {
                idle.add(id);
            }
        }
        if (idle.isEmpty()) {
            return;
        }
        List<String> chosen = io.tinyfed.coordinator.strategy.Selection.upTo(free).select(idle, (int) dispatches++,
                settings.seed());
        TrainTask task = task(clock.instant().plus(settings.roundTimeout()));
        for (String id : chosen) {
            outstanding.put(id, task);
            roundAsked.add(id);
            gateway.sendTask(id, task);
        }
    }

    /** Asynchronous mode: one update, checked against the device's outstanding task and the staleness bound. */
    private void onBufferedUpdate(String id, ModelUpdate u) {
        TrainTask task = outstanding.get(id);
        if (task == null || u.round() != task.round()) { // an expired task, or not this device's: its slot stays as is
            refuse(new Failure(id, u.round() <= lastRound ? RejectReason.LATE : RejectReason.WRONG_ROUND,
                    "no task of round " + u.round() + " outstanding"), u.round());
            return;
        }
        outstanding.remove(id);
        DeviceHello hello = known.get(id);
        Optional<Failure> failure = validator.check(id, u, new UpdateValidator.OpenRound(task.round(), settings.modelId(),
                task.modelVersion(), current.parameterCount(), Set.of(id), Set.of()), Set.of(),
                hello == null ? 0 : hello.sampleCapacity());
        long staleness = currentVersion.version() - task.modelVersion();
        if (failure.isEmpty() && staleness > async.maxStaleness()) {
            failure = Optional.of(new Failure(id, RejectReason.STALE_BASE_VERSION, "delta on version "
                    + task.modelVersion() + ", " + staleness + " versions behind " + currentVersion.version()
                    + " (at most " + async.maxStaleness() + ")"));
        }
        if (failure.isPresent()) {
            refuse(failure.get(), u.round());
        } else {
            buffer.add(new Reply(id, shared(u.delta()), u.sampleCount(), u.lossBefore(), u.lossAfter(),
                    (int) staleness));
            if (round >= 0 && buffer.size() >= async.bufferSize()) {
                flush();
            }
        }
        dispatch();
    }

    /** Asynchronous mode: the buffer makes the next version; the round closes until {@link #startRound} opens the next. */
    private void flush() {
        List<Reply> received = new ArrayList<>(buffer);
        buffer.clear();
        List<Failure> failures = new ArrayList<>();
        for (String id : roundExpired) {
            failures.add(new Failure(id, RejectReason.LATE, "no update before the deadline"));
        }
        finish(received, failures, roundAsked.stream().distinct().toList(), List.copyOf(roundExpired));
        round = -1;
    }

    /** Asynchronous mode: tasks past their deadline free their slots (their devices rest like stragglers). */
    private void expireTasks() {
        Instant now = clock.instant();
        boolean freed = false;
        for (java.util.Iterator<Map.Entry<String, TrainTask>> it = outstanding.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, TrainTask> e = it.next();
            if (!now.isBefore(e.getValue().deadline())) {
                it.remove();
                freed = true;
                roundExpired.add(e.getKey());
                if (stragglerRest > 0) {
                    restingUntil.put(e.getKey(), lastRound + stragglerRest);
                }
            }
        }
        if (freed) {
            dispatch();
        }
    }

    /** Asynchronous mode: the earliest deadline of an outstanding task, if any. */
    public synchronized Optional<Instant> earliestTaskDeadline() {
        return outstanding.values().stream().map(TrainTask::deadline).min(Instant::compareTo);
    }

    /** Asynchronous mode: devices training now (tasks outstanding), and updates waiting for the next outer step. */
    public synchronized int[] asyncLoad() {
        return new int[] {outstanding.size(), buffer.size()};
    }

    /**
     * The straggler penalty: a selected device that sent no accepted update by the time its round
     * closed sits out the next {@code rounds} rounds (0: never), so a device that has gone quiet
     * stretches one round to its deadline, not every round.
     */
    public synchronized void setStragglerRest(int rounds) {
        if (rounds < 0) {
            throw new IllegalArgumentException("straggler rest must be >= 0 rounds");
        }
        stragglerRest = rounds;
    }

    /**
     * How much of its delta each asked device sends from the next round on ({@link TrainTask#uplinkPermille()}): 0 all
     * of it (the default), 1 to 1000 the largest that many per mille of its values, as int8, with error feedback.
     */
    public synchronized void setUplinkPermille(int permille) {
        if (permille < 0 || permille > 1000) {
            throw new IllegalArgumentException("uplink per mille must be in [0, 1000], got " + permille);
        }
        uplinkPermille = permille;
    }

    /**
     * How new versions go out from the next round on: 0 (the default) as the aggregated model, published whole; 1 to
     * 1000 as a delta from the version before ({@link FleetGateway#publishDelta}) holding the largest that many per
     * mille of the change, as int8. The published version is then the previous one plus that delta, exactly as devices
     * rebuild it, and the rest of the change is kept here and added to the next round's (error feedback, in memory: a
     * restart forgets it). The full snapshot is still published for devices that hold no version or another one.
     */
    public synchronized void setDownlinkPermille(int permille) {
        if (permille < 0 || permille > 1000) {
            throw new IllegalArgumentException("downlink per mille must be in [0, 1000], got " + permille);
        }
        downlinkPermille = permille;
    }

    /**
     * Partial local reconstruction from the next round on: the last {@code layers} parametrised layers are personal,
     * re-fitted on each device before it adapts and left out of its update; their part of any update that arrives
     * anyway is dropped, so the meta-model's personal layers never move. 0 (the default): every layer is shared.
     *
     * @throws IllegalArgumentException unless at least one parametrised layer stays shared
     */
    public synchronized void setPersonalLayers(int layers) {
        current.architecture().personalStart(layers); // validates
        personalLayers = layers;
    }

    /** {@code delta} without its personal part (the same array, changed in place). */
    private float[] shared(float[] delta) {
        if (personalLayers > 0 && delta.length == current.parameterCount()) {
            io.tinyfed.core.Reptile.keepPersonal(delta, current.architecture(), personalLayers);
        }
        return delta;
    }

    /** One decoded update from {@code topicDeviceId}'s update topic. */
    public synchronized void onUpdate(String topicDeviceId, ModelUpdate u) {
        if (async != null) {
            onBufferedUpdate(topicDeviceId, u);
            return;
        }
        UpdateValidator.OpenRound open = round < 0 ? null : new UpdateValidator.OpenRound(round, settings.modelId(),
                currentVersion.version(), current.parameterCount(), selectedSet, replies.keySet());
        DeviceHello hello = known.get(topicDeviceId);
        Optional<Failure> failure = validator.check(topicDeviceId, u, open, closedRounds,
                hello == null ? 0 : hello.sampleCapacity());
        if (failure.isPresent()) {
            refuse(failure.get(), u.round());
            return;
        }
        replies.put(topicDeviceId, new Reply(topicDeviceId, shared(u.delta()), u.sampleCount(), u.lossBefore(),
                u.lossAfter()));
        if (replies.size() >= Math.ceil(settings.quorum() * selected.size())) {
            close();
        }
    }

    /** A payload that could not even be decoded, from {@code deviceId}'s topic. */
    public synchronized void onUndecodable(String deviceId, RejectReason reason, String detail) {
        refuse(new Failure(deviceId, reason, detail), 0);
    }

    private void refuse(Failure f, int updateRound) {
        rejectedTotal.merge(f.reason(), 1L, Long::sum);
        if (known.containsKey(f.deviceId())) { // ids nobody announced are counted by reason only: they cannot grow a map
            refusedByDevice.computeIfAbsent(f.deviceId(), k -> new DeviceRefusals()).add(f, clock.instant());
        }
        if (round >= 0) {
            roundRejected.merge(f.reason(), 1, Integer::sum);
            if (known.containsKey(f.deviceId())) {
                roundRefusedDevices.add(f.deviceId());
            }
        }
        long n = refusalLog.count(f.deviceId());
        if (n > 0) {
            LOG.log(System.Logger.Level.WARNING, "refused update from {0}: {1} {2}{3}", f.deviceId(), f.reason(), f.detail(),
                    LogThrottle.suffix(n));
        }
        gateway.sendReject(f.deviceId(), new Reject(f.reason(), f.detail(), updateRound, f.deviceId()));
    }

    /** Closes the open round when its deadline has passed. */
    public synchronized void onTick() {
        if (async != null) {
            expireTasks();
            return;
        }
        if (round >= 0 && !clock.instant().isBefore(deadline)) {
            close();
        }
    }

    private void close() {
        List<String> stragglers = new ArrayList<>();
        for (String id : selected) {
            if (!replies.containsKey(id)) {
                stragglers.add(id);
            }
        }
        List<Failure> failures = new ArrayList<>();
        for (String id : stragglers) {
            failures.add(new Failure(id, RejectReason.LATE, "no update before the deadline"));
            if (stragglerRest > 0) {
                restingUntil.put(id, round + stragglerRest);
            }
        }
        List<Reply> received = new ArrayList<>(replies.values());
        finish(received, failures, selected, stragglers);
        round = -1;
        selected = List.of();
        selectedSet = Set.of();
        replies.clear();
    }

    /**
     * Screens, aggregates, stores and publishes what the open round (or, asynchronously, the buffer) received, and
     * records the round's summary. {@code asked} are the devices tasked in it, {@code stragglers} those that did not
     * answer in time.
     */
    private void finish(List<Reply> received, List<Failure> failures, List<String> asked, List<String> stragglers) {
        io.tinyfed.coordinator.strategy.Screening.Screened screened = screening.screen(received);
        for (Failure f : screened.refused()) {
            refuse(f, round);
        }
        failures.addAll(screened.refused());
        List<Reply> accepted = screened.kept();
        List<String> contributors = accepted.stream().map(Reply::deviceId).distinct().toList();
        if (quarantine != null) {
            for (String id : quarantine.record(received.stream().map(Reply::deviceId).toList(),
                    received.stream().mapToDouble(r -> io.tinyfed.core.Statistics.l2Norm(r.delta())).toArray())) {
                LOG.log(System.Logger.Level.WARNING, "round {0}: {1} quarantined: its updates keep standing out",
                        String.valueOf(round), id);
                outstanding.remove(id); // asynchronous rounds: its task in flight no longer counts
            }
        }
        long base = currentVersion.version();
        long produced = -1;
        String outcome;
        if (accepted.size() >= settings.minReplies()) {
            try {
                float[] before = current.toRealVector();
                float[] theta = strategy.aggregate(round, before, accepted, failures);
                Optional<String> tooFar = screening.checkStep(before, theta, screened.medianNorm());
                if (tooFar.isPresent()) {
                    throw new RefusedStep(tooFar.get());
                }
                io.tinyfed.core.SparseDelta sent = downlinkPermille == 0 ? null : downlinkDelta(before, theta);
                if (sent != null) {
                    theta = before.clone();
                    sent.addTo(theta);
                }
                Model next = current.withRealParameters(theta);
                ModelSnapshot s = signer.sign(settings.modelId(), base + 1, next, clock.instant());
                Map<String, Integer> rejected = new TreeMap<>();
                roundRejected.forEach((k, v) -> rejected.put(k.name(), v));
                currentVersion = store.save(s, round, base, strategy.name(), contributors, rejected, null);
                current = next;
                produced = base + 1;
                inventory.versionStored(settings.modelId(), produced, base, next, new Inventory.RoundRecord(round, base,
                        strategy.name(), contributors, settings.innerSteps(),
                        settings.innerLearningRate(), strategy.outerStepSize(round), started, clock.instant()), null);
                outcome = "aggregated " + accepted.size() + "/" + asked.size();
                if (sent != null) { // first: devices holding the version before need no more than this
                    gateway.publishDelta(new io.tinyfed.protocol.SnapshotDelta(settings.modelId(), base, base + 1, sent,
                            s.keyId(), s.signature(), s.createdAt()));
                }
                gateway.publishSnapshot(s);
            } catch (RefusedStep e) {
                outcome = "refused: " + e.getMessage() + "; version " + base + " kept";
                LOG.log(System.Logger.Level.WARNING, "round {0} {1}", String.valueOf(round), outcome);
            } catch (IOException | RuntimeException e) {
                outcome = "failed: " + e.getMessage();
                LOG.log(System.Logger.Level.ERROR, "round " + round + " failed", e);
            }
        } else {
            outcome = "no quorum: " + accepted.size() + "/" + asked.size()
                    + (screened.refused().isEmpty() ? "" : " (" + screened.refused().size() + " refused by screening)");
        }
        double before = 0;
        double after = 0;
        for (Reply r : accepted) {
            before += r.lossBefore() / accepted.size();
            after += r.lossAfter() / accepted.size();
        }
        history.add(new RoundSummary(round, base, produced, List.copyOf(asked), contributors,
                Map.copyOf(roundRejected), List.copyOf(stragglers), started, clock.instant(), outcome,
                accepted.isEmpty() ? Double.NaN : before, accepted.isEmpty() ? Double.NaN : after,
                List.copyOf(roundRefusedDevices)));
        LOG.log(System.Logger.Level.INFO, "round {0}: {1}", String.valueOf(round), outcome);
        closedRounds.add(round);
    }

    /** The top of {@code theta - before} plus what earlier versions left out, as the downlink sends it. */
    private io.tinyfed.core.SparseDelta downlinkDelta(float[] before, float[] theta) {
        downlink = io.tinyfed.core.DeltaCompressor.reuse(downlink, theta.length, NumberFormat.F32);
        float[] change = new float[theta.length];
        for (int i = 0; i < change.length; i++) {
            change[i] = theta[i] - before[i];
        }
        return downlink.compress(change, downlinkPermille / 1000.0);
    }

    /** The largest sample count one device may claim ({@link UpdateValidator#DEFAULT_MAX_SAMPLES} unless set). */
    public synchronized void setMaxSamplesPerDevice(int max) {
        validator = new UpdateValidator(settings.normBound(), max);
    }

    /** A new version that screening refuses: the round ends without one. */
    private static final class RefusedStep extends RuntimeException {
        RefusedStep(String reason) {
            super(reason, null, false, false);
        }
    }

    /** How updates are screened against their round ({@link io.tinyfed.coordinator.strategy.Screening#DEFAULT} unless set). */
    public synchronized void setScreening(io.tinyfed.coordinator.strategy.Screening s) {
        screening = java.util.Objects.requireNonNull(s, "screening");
    }

    /**
     * Quarantines devices whose accepted updates keep standing out ({@link io.tinyfed.core.Quarantine});
     * null: none (the default).
     */
    public synchronized void setQuarantine(io.tinyfed.core.Quarantine q) {
        quarantine = q;
    }

    /** The devices quarantined so far (empty without a quarantine). */
    public synchronized java.util.Set<String> quarantinedDevices() {
        return quarantine == null ? java.util.Set.of() : quarantine.quarantined();
    }

    /** Records a meta-evaluation loss for the current version (stored with its metadata). */
    public synchronized void recordMetaEvaluation(long version, double adaptedLoss) throws IOException {
        if (version != currentVersion.version()) {
            return;
        }
        ModelStore.Version v = currentVersion;
        currentVersion = store.save(store.snapshot(v), v.round(), v.parentVersion(), v.strategy(), v.contributors(),
                v.rejected(), adaptedLoss);
        inventory.versionStored(settings.modelId(), version, v.parentVersion() > 0 ? v.parentVersion() : null, current,
                null, adaptedLoss);
    }

    public String modelId() {
        return settings.modelId();
    }

    public synchronized Model currentModel() {
        return current;
    }

    public synchronized ModelStore.Version currentVersion() {
        return currentVersion;
    }

    public synchronized boolean roundOpen() {
        return round >= 0;
    }

    public synchronized List<RoundSummary> history() {
        return List.copyOf(history);
    }

    /** Rounds closed so far (cheaper than {@code history().size()}: no copy). */
    public synchronized int roundsClosed() {
        return history.size();
    }

    /** The summaries of rounds closed after the first {@code from}. */
    public synchronized List<RoundSummary> historyFrom(int from) {
        return List.copyOf(history.subList(from, history.size()));
    }

    public synchronized Map<RejectReason, Long> rejectedTotals() {
        Map<RejectReason, Long> copy = new EnumMap<>(RejectReason.class);
        copy.putAll(rejectedTotal);
        return copy;
    }

    /**
     * The open round as it stands.
     *
     * @param early   accepted updates that close it before its deadline (its quorum of the selected devices)
     * @param needed  accepted updates it needs by the deadline to make a new version
     */
    public record OpenRound(int round, int selected, int accepted, int refused, int early, int needed, Instant started,
                            Instant deadline) {
    }

    /** The open round, if any. */
    public synchronized Optional<OpenRound> openRound() {
        if (round < 0) {
            return Optional.empty();
        }
        int refused = 0;
        for (int n : roundRejected.values()) {
            refused += n;
        }
        if (async != null) {
            return Optional.of(new OpenRound(round, (int) roundAsked.stream().distinct().count(), buffer.size(), refused,
                    async.bufferSize(), async.bufferSize(), started, deadline));
        }
        return Optional.of(new OpenRound(round, selected.size(), replies.size(), refused,
                (int) Math.ceil(settings.quorum() * selected.size()), settings.minReplies(), started, deadline));
    }

    /** How many of a known device's updates were refused, and the last refusal: when, why. */
    public record Refusals(long count, Instant last, RejectReason lastReason, String lastDetail) {
    }

    private static final class DeviceRefusals {
        long count;
        Instant last;
        Failure lastFailure;

        void add(Failure f, Instant at) {
            count++;
            last = at;
            lastFailure = f;
        }

        Refusals view() {
            return new Refusals(count, last, lastFailure.reason(), lastFailure.detail());
        }
    }

    /** The refusals of every known device that had any. */
    public synchronized Map<String, Refusals> refusalsByDevice() {
        Map<String, Refusals> out = new HashMap<>();
        refusedByDevice.forEach((id, r) -> out.put(id, r.view()));
        return out;
    }

    /** One device's refusals, if it had any. */
    public synchronized Optional<Refusals> refusalsOf(String deviceId) {
        DeviceRefusals r = refusedByDevice.get(deviceId);
        return r == null ? Optional.empty() : Optional.of(r.view());
    }

    /** One known device's hello, and whether it is online. */
    public synchronized Optional<DeviceHello> device(String deviceId) {
        return Optional.ofNullable(known.get(deviceId));
    }

    public synchronized boolean isOnline(String deviceId) {
        return online.contains(deviceId);
    }

    /** The settings every round runs with. */
    public Settings settings() {
        return settings;
    }

    /** The name of the aggregation strategy in force. */
    public String strategyName() {
        return strategy.name();
    }

    /** Devices known and online, counted without copying either set. */
    public synchronized int knownCount() {
        return known.size();
    }

    public synchronized int onlineCount() {
        return online.size();
    }

    public synchronized Map<String, DeviceHello> devices() {
        return new TreeMap<>(known);
    }

    public synchronized Set<String> onlineDevices() {
        return Set.copyOf(online);
    }
}
