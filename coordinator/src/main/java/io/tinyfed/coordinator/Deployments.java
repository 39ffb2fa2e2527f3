package io.tinyfed.coordinator;

import io.tinyfed.coordinator.mqtt.FleetLink;
import io.tinyfed.coordinator.rollout.Rollout;
import io.tinyfed.coordinator.rollout.RolloutPlan;
import io.tinyfed.coordinator.round.Inventory;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.store.ModelStore;
import io.tinyfed.coordinator.store.RolloutStore;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.Deploy;
import io.tinyfed.protocol.DeploymentStatus;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.Limits;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.registry.DeploymentRecord;
import io.tinyfed.registry.Iris;
import io.tinyfed.registry.Registry;
import io.tinyfed.registry.RefusalRecord;
import io.tinyfed.registry.RolloutRecord;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator's deployments: creates rollouts (target devices intersected with matchmaking),
 * drives their state machines ({@link Rollout}) from device reports, devices coming online and the
 * clock, persists every decision before sending what it decided (signed {@link Deploy}s with the
 * stored, signed snapshot of the version), and writes every device transition and rollout phase to
 * the registry. Rollouts persisted by an earlier process continue where they were. Thread-safe.
 */
public final class Deployments implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Deployments.class.getName());

    /**
     * What to roll out where. Targets are the union of {@code devices}, every known device when
     * {@code wholeFleet}, and the {@code ?device} column of {@code sparql} (device IRIs or ids)
     * evaluated against the registry; the rollout goes to those among them that can run the version.
     *
     * @param id      the rollout's id; null: generated
     * @param version null: the newest version
     * @param seed    orders the targets into waves; null: from the rollout id
     */
    public record Request(String id, Long version, List<String> devices, boolean wholeFleet, String sparql,
                          RolloutPlan plan, Long seed) {
        public Request {
            devices = devices == null ? List.of() : List.copyOf(devices);
            plan = plan == null ? RolloutPlan.DEFAULT : plan;
        }
    }

    /** A device left out of a rollout and why. */
    public record Exclusion(String deviceId, String reason) {
    }

    private final String fleet;
    private final RoundEngine engine;
    private final ModelStore store;
    private final FleetLink link;
    private final RolloutStore files;
    private final Registry registry;
    private final Runnable flushInventory;
    private final List<String> requiredSensors;
    private final Clock clock;
    private final Map<String, Rollout> rollouts = new LinkedHashMap<>();
    private final Map<String, DeploymentStatus> reported = new HashMap<>();
    private long lastIssued;
    private final LinkedBlockingQueue<Object> registryWrites = new LinkedBlockingQueue<>();
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tinyfed-coordinator-deployments");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param registry       where transitions are recorded; null: none
     * @param flushInventory waits until the registry holds every device the engine has seen (deployment
     *                       records refer to them)
     */
    Deployments(String fleet, RoundEngine engine, ModelStore store, FleetLink link, RolloutStore files, Registry registry,
                Runnable flushInventory, List<String> requiredSensors, Clock clock) throws IOException {
        this.fleet = fleet;
        this.engine = engine;
        this.store = store;
        this.link = link;
        this.files = files;
        this.registry = registry;
        this.flushInventory = flushInventory;
        this.requiredSensors = List.copyOf(requiredSensors);
        this.clock = clock;
        for (Rollout.State s : files.load()) {
            Rollout r = Rollout.restore(s);
            rollouts.put(r.id(), r);
            lastSaved.put(r.id(), s);
            if (r.phase().active()) {
                LOG.log(System.Logger.Level.INFO, "rollout {0} continues: {1} v{2}, wave {3} of {4}", r.id(), r.modelId(),
                        String.valueOf(r.version()), r.currentWave() + 1, s.waves().size());
            }
        }
    }

    // ------------------------------------------------------------------ operator

    /**
     * Creates and starts a rollout.
     *
     * @throws IllegalArgumentException naming what is wrong with the request (unknown version, no target that can
     *                                  run it, a device already in an active rollout, a bad id)
     */
    public synchronized Rollout.State create(Request request) throws IOException {
        String modelId = engine.modelId();
        List<ModelStore.Version> versions = store.versions(modelId);
        ModelStore.Version version = request.version() == null ? versions.get(versions.size() - 1)
                : store.version(modelId, request.version()).orElseThrow(() -> new IllegalArgumentException("model " + modelId + " has no version " + request.version()
                        + " (versions 1.." + versions.get(versions.size() - 1).version() + ")"));
        Instant now = clock.instant();
        String id = request.id() != null ? request.id()
                : "r-" + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(java.time.ZoneOffset.UTC)
                .format(now) + "-" + version.version();
        if (!Limits.isValidId(id)) {
            throw new IllegalArgumentException("rollout id '" + id + "' is not 1-64 characters of [A-Za-z0-9._-]");
        }
        if (rollouts.containsKey(id)) {
            throw new IllegalArgumentException("rollout " + id + " exists already");
        }
        Set<String> candidates = candidates(request);
        List<Exclusion> excluded = new ArrayList<>();
        List<String> targets = matchmaking(candidates, store.load(version).architecture(), excluded);
        for (Rollout other : rollouts.values()) {
            if (other.phase().active()) {
                for (Rollout.Device d : other.state().devices()) {
                    if (targets.contains(d.id())) {
                        throw new IllegalArgumentException("device " + d.id() + " is in the active rollout " + other.id()
                                + ": wait for it, or abort it first");
                    }
                }
            }
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no target device can run " + modelId + " v" + version.version()
                    + (excluded.isEmpty() ? " (the target is empty)" : ": " + excluded.stream()
                    .map(e -> e.deviceId() + " (" + e.reason() + ")").limit(5).toList()));
        }
        long seed = request.seed() != null ? request.seed() : id.hashCode();
        Rollout r = Rollout.create(id, modelId, version.version(), targets, request.plan(), seed, now);
        for (Exclusion e : excluded) {
            r.note(now, "excluded " + e.deviceId() + ": " + e.reason());
        }
        rollouts.put(id, r);
        apply(r, r.start(now), now);
        LOG.log(System.Logger.Level.INFO, "rollout {0}: {1} v{2} to {3} devices ({4} excluded)", id, modelId,
                String.valueOf(version.version()), targets.size(), excluded.size());
        return r.state();
    }

    private Set<String> candidates(Request request) {
        Set<String> out = new LinkedHashSet<>(request.devices());
        if (request.wholeFleet()) {
            out.addAll(engine.devices().keySet());
        }
        if (request.sparql() != null) {
            if (registry == null) {
                throw new IllegalArgumentException("a SPARQL target needs the registry; this coordinator runs without one");
            }
            var table = registry.select(request.sparql());
            if (!table.vars().contains("device")) {
                throw new IllegalArgumentException("the target query must SELECT ?device; it selects " + table.vars());
            }
            for (Map<String, String> row : table.rows()) {
                String v = row.get("device");
                if (v != null) {
                    String id = Iris.deviceId(v);
                    out.add(id != null ? id : v);
                }
            }
        }
        if (out.isEmpty() && !request.wholeFleet() && request.sparql() == null) {
            throw new IllegalArgumentException("name a target: device ids, the whole fleet, or a SPARQL SELECT ?device");
        }
        return out;
    }

    /**
     * The candidates that can run the version and keep learning online from it: a known device with a
     * number format whose last-layer training arena fits its RAM, and every required sensor.
     */
    private List<String> matchmaking(Set<String> candidates, Architecture arch, List<Exclusion> excluded) {
        Map<String, DeviceHello> known = engine.devices();
        Map<NumberFormat, Long> arena = Inventory.lastLayerTrainingArena(arch);
        List<String> out = new ArrayList<>();
        for (String id : candidates) {
            DeviceHello h = known.get(id);
            if (h == null) {
                excluded.add(new Exclusion(id, "unknown device: it has not announced itself to this coordinator"));
                continue;
            }
            Optional<NumberFormat> fits = h.formats().stream().filter(f -> arena.get(f) <= h.ramBytes()).findFirst();
            if (fits.isEmpty()) {
                excluded.add(new Exclusion(id, "needs " + h.formats().stream().mapToLong(arena::get).min().orElse(0)
                        + " B of RAM to learn online from it, has " + h.ramBytes() + " B"));
            } else if (!h.sensors().containsAll(requiredSensors)) {
                excluded.add(new Exclusion(id, "does not sense " + requiredSensors));
            } else {
                out.add(id);
            }
        }
        return out;
    }

    public synchronized List<Rollout.State> list() {
        return rollouts.values().stream().map(Rollout::state).toList();
    }

    /**
     * Each rollout's id, phase and current wave ({@code id:PHASE:wave}, space-separated, in creation order): what
     * the dashboard's live view watches, without copying every rollout's devices as {@link #list()} does.
     */
    public synchronized String summary() {
        StringBuilder out = new StringBuilder();
        for (Rollout r : rollouts.values()) {
            out.append(out.length() == 0 ? "" : " ").append(r.id()).append(':').append(r.phase()).append(':')
                    .append(r.currentWave());
        }
        return out.toString();
    }

    public synchronized Optional<Rollout.State> get(String id) {
        return Optional.ofNullable(rollouts.get(id)).map(Rollout::state);
    }

    /** @throws IllegalArgumentException if there is no such rollout; IllegalStateException if its phase does not allow it */
    public Rollout.State pause(String id) {
        return transition(id, (r, now) -> {
            r.pause(now);
            return List.of();
        });
    }

    public Rollout.State resume(String id) {
        return transition(id, Rollout::resume);
    }

    public Rollout.State abort(String id) {
        return transition(id, (r, now) -> {
            r.abort(now);
            return List.of();
        });
    }

    public Rollout.State rollback(String id) {
        return transition(id, Rollout::rollback);
    }

    /** An operator's transition of rollout {@code id}: applied, persisted, its commands sent. */
    private synchronized Rollout.State transition(String id,
                                                  java.util.function.BiFunction<Rollout, Instant, List<Rollout.Command>> t) {
        Rollout r = require(id);
        Instant now = clock.instant();
        apply(r, t.apply(r, now), now);
        return r.state();
    }

    private Rollout require(String id) {
        Rollout r = rollouts.get(id);
        if (r == null) {
            throw new IllegalArgumentException("no rollout " + id);
        }
        return r;
    }

    /** What every device last reported about its deployments, by device id. */
    public synchronized Map<String, DeploymentStatus> reported() {
        return Map.copyOf(reported);
    }

    // ------------------------------------------------------------------ fleet and clock

    /** A device's report (message thread). */
    public synchronized void onStatus(DeploymentStatus s) {
        DeploymentStatus last = reported.put(s.deviceId(), s);
        if (s.state() == DeploymentStatus.State.FAILED && registry != null && !s.equals(last)) {
            // every refusal, also of deploys this coordinator never sent (forged, replayed, invented rollouts)
            long n = refusals.merge(s.deviceId(), 1L, Long::sum);
            registryWrites.add(new RefusalRecord(fleet, s.deviceId(), s.rolloutId(), s.reason().isEmpty() ? "refused"
                    : s.reason(), clock.instant(), n));
            writer.execute(this::drainRegistryWrites);
        }
        Rollout r = rollouts.get(s.rolloutId());
        if (r == null) {
            return;
        }
        Instant now = clock.instant();
        apply(r, r.onStatus(s, now), now);
    }

    /** A device came online (message thread): active rollouts send it what it missed. */
    public synchronized void onDeviceOnline(String deviceId) {
        Instant now = clock.instant();
        for (Rollout r : rollouts.values()) {
            if (r.phase().active() || r.phase() == Rollout.Phase.FAILED || r.phase() == Rollout.Phase.ROLLED_BACK) {
                apply(r, r.onDeviceOnline(deviceId, now), now);
            }
        }
    }

    /** Closes waves at their deadline (driver thread). */
    public synchronized void onTick() {
        Instant now = clock.instant();
        for (Rollout r : rollouts.values()) {
            if (r.phase() == Rollout.Phase.RUNNING) {
                apply(r, r.onTick(now), now);
            }
        }
    }

    /**
     * Persists the rollout, then sends its commands and queues the registry records of every device
     * whose step changed. Persisting first means a crash never forgets a send it made.
     */
    private void apply(Rollout r, List<Rollout.Command> commands, Instant now) {
        Rollout.State before = lastSaved.get(r.id());
        Rollout.State after = r.state();
        if (after.equals(before) && commands.isEmpty()) {
            return;
        }
        files.save(before, after);
        lastSaved.put(r.id(), after);
        if (!commands.isEmpty()) {
            send(r, commands);
        }
        if (registry != null) {
            queueRecords(before, after, now);
        }
    }

    private final Map<String, Rollout.State> lastSaved = new HashMap<>();
    private final Map<String, Long> refusals = new HashMap<>();

    /** Signs and sends {@code commands}; the version's stored snapshot is read once for all the installs among them. */
    private void send(Rollout r, List<Rollout.Command> commands) {
        ModelSnapshot snapshot = null;
        if (commands.stream().anyMatch(c -> c.kind() == Rollout.Command.Kind.INSTALL)) {
            try {
                ModelStore.Version v = store.version(r.modelId(), r.version())
                        .orElseThrow(() -> new IOException("version " + r.version() + " is not in the store"));
                snapshot = store.snapshot(v);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "rollout {0}: cannot read {1} v{2}: {3}", r.id(), r.modelId(),
                        String.valueOf(r.version()), e.getMessage());
            }
        }
        RolloutPlan p = r.plan();
        for (Rollout.Command c : commands) {
            long issued = Math.max(clock.millis(), lastIssued + 1);
            lastIssued = issued;
            if (c.kind() == Rollout.Command.Kind.ROLLBACK) {
                link.sendDeploy(c.deviceId(), Deploy.rollback(r.id(), c.wave(), Instant.ofEpochMilli(issued)));
            } else if (snapshot != null) {
                link.sendDeploy(c.deviceId(), new Deploy(r.id(), c.wave(), Deploy.Action.INSTALL, snapshot,
                        p.shadowSamples(), p.personaliseSteps(), p.personaliseLearningRate(), Instant.ofEpochMilli(issued)));
            }
        }
    }

    // ------------------------------------------------------------------ registry

    private void queueRecords(Rollout.State before, Rollout.State after, Instant now) {
        Map<String, Rollout.Device> old = new HashMap<>();
        if (before != null) {
            before.devices().forEach(d -> old.put(d.id(), d));
        }
        List<DeploymentRecord> records = new ArrayList<>();
        for (Rollout.Device d : after.devices()) {
            Rollout.Device o = old.get(d.id());
            if (d.step() == Rollout.Step.PENDING || (o != null && o.equals(d))) {
                continue;
            }
            DeploymentStatus last = reported.get(d.id());
            NumberFormat format = last != null && last.rolloutId().equals(after.id()) ? last.format() : null;
            records.add(new DeploymentRecord(fleet, d.id(), after.id(), d.wave(), after.modelId(), after.version(),
                    d.servingVersion() >= 0 ? d.servingVersion() : null, format == null ? null : format.name(),
                    recordState(d.step()), d.reason(), d.sentAt() != null ? d.sentAt() : now, now,
                    Double.isNaN(d.candidateLoss()) ? null : d.candidateLoss(),
                    Double.isNaN(d.previousLoss()) ? null : d.previousLoss(), d.personalised()));
        }
        boolean phaseChanged = before == null || before.phase() != after.phase();
        if (phaseChanged) {
            registryWrites.add(new RolloutRecord(fleet, after.id(), after.modelId(), after.version(),
                    after.phase().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), after.reason(),
                    after.created(), after.phase().active() ? null : now));
        }
        registryWrites.addAll(records);
        if (phaseChanged || !records.isEmpty()) {
            writer.execute(this::drainRegistryWrites);
        }
    }

    private static String recordState(Rollout.Step step) {
        return switch (step) {
            case PENDING, SENT -> "pending";
            case SHADOWING -> "shadowing";
            case SERVING -> "serving";
            case FAILED -> "failed";
            case TIMED_OUT -> "timed-out";
            case ROLLBACK_SENT -> "rollback-sent";
            case ROLLED_BACK -> "rolled-back";
        };
    }

    /** Writer thread: everything queued so far, rollouts first, the device records in one transaction. */
    private void drainRegistryWrites() {
        List<Object> batch = new ArrayList<>();
        registryWrites.drainTo(batch);
        if (batch.isEmpty()) {
            return;
        }
        try {
            flushInventory.run();
            List<DeploymentRecord> records = new ArrayList<>();
            Map<String, RefusalRecord> refused = new java.util.LinkedHashMap<>(); // the last per device counts
            for (Object o : batch) {
                if (o instanceof RolloutRecord r) {
                    registry.recordRollout(r);
                } else if (o instanceof RefusalRecord r) {
                    refused.put(r.deviceId(), r);
                } else {
                    records.add((DeploymentRecord) o);
                }
            }
            for (RefusalRecord r : refused.values()) {
                try {
                    registry.recordRefusal(r);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "refusal of {0} not written to the registry: {1}", r.deviceId(),
                            e.getMessage());
                }
            }
            registry.recordDeployments(records);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "deployment records not written to the registry: {0}", e.getMessage());
        }
    }

    /** Waits until the registry holds every deployment transition so far. */
    public boolean flush(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            writer.submit(this::drainRegistryWrites).get(timeout, unit);
            return true;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    /** Lets the registry writer finish what is queued. */
    @Override
    public void close() {
        writer.execute(this::drainRegistryWrites);
        writer.shutdown();
        try {
            writer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
