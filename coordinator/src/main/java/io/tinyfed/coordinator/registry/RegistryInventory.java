package io.tinyfed.coordinator.registry;

import io.tinyfed.coordinator.round.Inventory;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.registry.DeviceDescription;
import io.tinyfed.registry.InvalidDescriptionException;
import io.tinyfed.registry.Iris;
import io.tinyfed.registry.ModelDescriptions;
import io.tinyfed.registry.ModelVersionDescription;
import io.tinyfed.registry.Presence;
import io.tinyfed.registry.Registry;
import io.tinyfed.registry.RegistryException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The round engine's inventory in the semantic registry: devices are registered from their hellos
 * (SHACL-validated) and kept online/offline from their state topic, every stored model version is
 * registered with its arena requirements and PROV-O lineage, and eligibility is the registry's
 * SPARQL query ({@link Registry#eligibleForTraining}).
 *
 * <p>Writes go through one writer thread, so MQTT handling never waits for the store. Fleet chatter
 * is coalesced per device while it waits (the latest hello and the latest state win; a hello
 * supersedes an older state), so a device repeating itself costs one write however often it
 * speaks, and the pending work is bounded by the fleet's size, not by its message rate. Model
 * versions have their own queue, written first in every pass: registering a new version never
 * waits behind fleet chatter. A hello the shapes refuse is reported to {@link Refusals} and not
 * registered.
 */
public final class RegistryInventory implements Inventory {
    private static final System.Logger LOG = System.getLogger(RegistryInventory.class.getName());
    private static final int BATCH = 500;
    /** Distinct devices whose hello may wait at once; more is a flood of fresh ids, refused and counted. */
    static final int MAX_PENDING_DEVICES = 100_000;
    private static final long CLOSE_LOG_EVERY_MS = 5_000;
    private static final long CLOSE_WAIT_MS = 60_000;

    private final Registry registry;
    private final String fleet;
    private final List<String> requiredSensors;
    private final Refusals refusals;
    private final Thread writer;
    private final java.util.concurrent.atomic.AtomicLong failedWrites = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong coalesced = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong overflowed = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong expired = new java.util.concurrent.atomic.AtomicLong();
    /** Offline devices not seen for this long are removed; null: never. Guarded by {@link #lock}. */
    private java.time.Duration expireAfter;
    private long nextExpiryMs;

    /** Guards the pending work below; the writer swaps it out in one step. */
    private final Object lock = new Object();
    private Map<String, Hello> hellos = new LinkedHashMap<>();
    private Map<String, State> states = new LinkedHashMap<>();
    private List<Version> versions = new ArrayList<>();
    private List<CountDownLatch> flushes = new ArrayList<>();
    private boolean closing;

    private record Hello(DeviceHello hello, Instant at) {
    }

    private record State(String deviceId, boolean online, Instant at) {
    }

    private record Version(ModelVersionDescription description, io.tinyfed.registry.RoundRecord round) {
    }

    /**
     * @param requiredSensors observable properties the fleet's model needs (devices must sense each)
     */
    public RegistryInventory(Registry registry, String fleet, List<String> requiredSensors, Refusals refusals) {
        this.registry = registry;
        this.fleet = fleet;
        this.requiredSensors = List.copyOf(requiredSensors);
        this.refusals = refusals;
        markFleetOffline();
        this.writer = new Thread(this::drain, "tinyfed-registry-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * A coordinator that starts knows nothing of who is connected: the devices the registry still
     * holds as online (from before a restart or a crash) are marked offline, and each device's own
     * online state (sent on every connection, retained by the broker) marks it online again. Without
     * this the first round would select devices that are gone and wait for its deadline.
     */
    private void markFleetOffline() {
        io.tinyfed.registry.QueryTable online = registry.select("PREFIX tf: <https://tinyfed.io/ns#>\n"
                + "SELECT ?deviceId WHERE { GRAPH ?device { ?device a tf:Device ; tf:fleet \"" + fleet + "\" ; "
                + "tf:deviceId ?deviceId ; tf:online true } }");
        Instant now = Instant.now();
        List<Presence> offline = new ArrayList<>();
        for (Map<String, String> row : online.rows()) {
            offline.add(new Presence(row.get("deviceId"), false, now));
        }
        if (!offline.isEmpty()) {
            registry.setOnline(fleet, offline);
            LOG.log(System.Logger.Level.INFO, "{0} devices of fleet {1} were online before this start: offline until they "
                    + "announce themselves again", offline.size(), fleet);
        }
    }

    @Override
    public void deviceHello(DeviceHello hello, Instant at) {
        String id = hello.deviceId();
        synchronized (lock) {
            if (closing) {
                return; // intake stops when close begins: the writer drains what came before
            }
            if (!hellos.containsKey(id) && hellos.size() >= MAX_PENDING_DEVICES) {
                overflow("hello", id);
                return;
            }
            if (hellos.put(id, new Hello(hello, at)) != null | states.remove(id) != null) {
                coalesced.incrementAndGet();
            }
            lock.notifyAll();
        }
    }

    @Override
    public void deviceState(String deviceId, boolean online, Instant at) {
        synchronized (lock) {
            if (closing) {
                return;
            }
            if (!states.containsKey(deviceId) && states.size() >= MAX_PENDING_DEVICES) {
                overflow("state", deviceId);
                return;
            }
            if (states.put(deviceId, new State(deviceId, online, at)) != null) {
                coalesced.incrementAndGet();
            }
            lock.notifyAll();
        }
    }

    private void overflow(String what, String deviceId) {
        long n = overflowed.incrementAndGet();
        if (n % 10_000 == 1) {
            LOG.log(System.Logger.Level.WARNING, "registry writer behind by {0} devices: {1} of {2} not recorded "
                    + "({3} refused so far)", MAX_PENDING_DEVICES, what, deviceId, n);
        }
    }

    @Override
    public List<String> eligible(String modelId, long version, Model model) {
        try {
            return registry.eligibleForTraining(fleet, Iris.version(modelId, version));
        } catch (RegistryException e) {
            LOG.log(System.Logger.Level.WARNING, "eligibility query failed: {0}", e.getMessage());
            return List.of();
        }
    }

    @Override
    public void versionStored(String modelId, long version, Long parentVersion, Model model, Inventory.RoundRecord round,
                              Double adaptedLoss) {
        ModelVersionDescription d = ModelDescriptions.of(modelId, version, parentVersion, model.architecture(),
                requiredSensors, adaptedLoss, round == null ? null : round.ended());
        io.tinyfed.registry.RoundRecord r = round == null ? null : new io.tinyfed.registry.RoundRecord(fleet, modelId, round.round(), round.baseVersion(), version,
                round.strategy(), round.participants(), round.innerSteps(), round.innerLearningRate(), round.epsilon(),
                round.started(), round.ended());
        synchronized (lock) {
            if (closing) {
                // The version itself is in the model store; the registry catches up when the next coordinator
                // registers the version it resumes from.
                LOG.log(System.Logger.Level.WARNING, "closing: version {0} of {1} not registered", version, modelId);
                return;
            }
            versions.add(new Version(d, r));
            lock.notifyAll();
        }
    }

    /** Waits until everything handed over so far is written (tests, shutdown, the demo's final query). */
    public boolean flush(long timeout, TimeUnit unit) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        synchronized (lock) {
            flushes.add(done);
            lock.notifyAll();
        }
        return done.await(timeout, unit);
    }

    /** Registry writes that failed for reasons other than an invalid description (store errors). */
    public long failedWrites() {
        return failedWrites.get();
    }

    /** Hellos and states that replaced a pending one of the same device before it was written. */
    public long coalescedWrites() {
        return coalesced.get();
    }

    /** Hellos and states refused because {@link #MAX_PENDING_DEVICES} devices were already waiting. */
    public long overflowedWrites() {
        return overflowed.get();
    }

    private void drain() {
        while (true) {
            Map<String, Hello> h;
            Map<String, State> st;
            List<Version> v;
            List<CountDownLatch> f;
            synchronized (lock) {
                while (hellos.isEmpty() && states.isEmpty() && versions.isEmpty() && flushes.isEmpty() && !closing
                        && !expiryDue()) {
                    try {
                        lock.wait(expireAfter == null ? 0 : Math.max(1, nextExpiryMs - System.currentTimeMillis()));
                    } catch (InterruptedException e) {
                        // Nothing in this process interrupts the writer (close waits for it instead); a stray
                        // interrupt is not a reason to stop writing.
                    }
                }
                if (closing && hellos.isEmpty() && states.isEmpty() && versions.isEmpty() && flushes.isEmpty()) {
                    return;
                }
                h = hellos;
                st = states;
                v = versions;
                f = flushes;
                hellos = new LinkedHashMap<>();
                states = new LinkedHashMap<>();
                versions = new ArrayList<>();
                flushes = new ArrayList<>();
            }
            java.time.Duration expiry;
            synchronized (lock) {
                expiry = expiryDue() ? expireAfter : null;
                if (expiry != null) {
                    nextExpiryMs = System.currentTimeMillis() + expiryPeriod(expiry).toMillis();
                }
            }
            try {
                write(v, h, st);
                if (expiry != null) {
                    expire(expiry);
                }
            } catch (RuntimeException e) {
                failedWrites.incrementAndGet();
                LOG.log(System.Logger.Level.ERROR, "registry write failed", e);
            } finally {
                f.forEach(CountDownLatch::countDown);
            }
        }
    }

    /**
     * Removes, from now on, the devices of the fleet that are offline and were last seen more than {@code age}
     * ago (their description, refusal and deployment records; rounds and lineage keep naming them), checking
     * every tenth of {@code age} (at least every second, at most every hour). A device that comes back later
     * registers again with its hello. Null: keep every device.
     */
    public void expireDevicesAfter(java.time.Duration age) {
        if (age != null && (age.isNegative() || age.isZero())) {
            throw new IllegalArgumentException("device expiry must be positive: " + age);
        }
        synchronized (lock) {
            expireAfter = age;
            nextExpiryMs = System.currentTimeMillis();
            lock.notifyAll();
        }
    }

    /** Devices removed by {@link #expireDevicesAfter}. */
    public long expiredDevices() {
        return expired.get();
    }

    private boolean expiryDue() {
        return expireAfter != null && !closing && System.currentTimeMillis() >= nextExpiryMs;
    }

    static java.time.Duration expiryPeriod(java.time.Duration age) {
        java.time.Duration tenth = age.dividedBy(10);
        return tenth.compareTo(java.time.Duration.ofSeconds(1)) < 0 ? java.time.Duration.ofSeconds(1)
                : tenth.compareTo(java.time.Duration.ofHours(1)) > 0 ? java.time.Duration.ofHours(1) : tenth;
    }

    /** Runs on the writer after a pass, so a device whose hello or state was waiting counts as seen. */
    private void expire(java.time.Duration age) {
        guarded(() -> {
            List<String> stale = registry.devicesNotSeenSince(fleet, Instant.now().minus(age));
            if (stale.isEmpty()) {
                return;
            }
            List<String> removed = registry.removeDevices(fleet, stale);
            expired.addAndGet(removed.size());
            LOG.log(System.Logger.Level.INFO, "removed {0} devices of fleet {1} offline and not seen for {2} (first: {3})",
                    removed.size(), fleet, age.toString().substring(2).toLowerCase(java.util.Locale.ROOT), removed.isEmpty() ? "-" : removed.get(0));
        });
    }

    /**
     * One pass: versions (in order), then hellos, then states, each kind in transactions of up to {@link #BATCH}
     * devices (a device's hello is written before its state).
     */
    private void write(List<Version> v, Map<String, Hello> h, Map<String, State> st) {
        for (Version version : v) {
            guarded(() -> {
                registry.registerModelVersion(version.description());
                if (version.round() != null) {
                    registry.recordRound(version.round());
                }
            });
        }
        inBatches(new ArrayList<>(h.values()), this::registerHellos);
        inBatches(st.values().stream().map(s -> new Presence(s.deviceId(), s.online(), s.at())).toList(),
                batch -> guarded(() -> {
                    List<String> unknown = registry.setOnline(fleet, batch);
                    if (!unknown.isEmpty()) {
                        LOG.log(System.Logger.Level.WARNING, "state of {0} unregistered devices ignored (first: {1})",
                                unknown.size(), unknown.get(0));
                    }
                }));
    }

    /** Hands {@code all} to {@code write} in consecutive slices of at most {@link #BATCH}, one transaction each. */
    private static <T> void inBatches(List<T> all, java.util.function.Consumer<List<T>> write) {
        for (int from = 0; from < all.size(); from += BATCH) {
            write.accept(all.subList(from, Math.min(all.size(), from + BATCH)));
        }
    }

    private void registerHellos(List<Hello> hellos) {
        List<DeviceDescription> all = new ArrayList<>();
        hellos.forEach(h -> all.add(describe(h.hello(), h.at())));
        try {
            registry.registerDevices(all);
        } catch (InvalidDescriptionException e) {
            // Find the culprits one by one; the valid ones are registered.
            for (DeviceDescription d : all) {
                try {
                    registry.registerDevice(d);
                } catch (InvalidDescriptionException refused) {
                    refusals.refused(d.deviceId(), "device description refused by the registry:\n" + refused.report());
                } catch (RegistryException failed) {
                    failedWrites.incrementAndGet();
                    LOG.log(System.Logger.Level.ERROR, "registry write failed: {0}", failed.getMessage());
                }
            }
        } catch (RegistryException e) {
            failedWrites.incrementAndGet();
            LOG.log(System.Logger.Level.ERROR, "registry write failed: {0}", e.getMessage());
        }
    }

    private void guarded(Runnable write) {
        try {
            write.run();
        } catch (RegistryException e) {
            failedWrites.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "registry write refused: {0}", e.getMessage());
        }
    }

    static DeviceDescription describe(DeviceHello h, Instant at) {
        TreeSet<String> formats = new TreeSet<>();
        for (NumberFormat f : h.formats()) {
            formats.add(f.name());
        }
        return new DeviceDescription(h.fleet(), h.deviceId(), h.ramBytes(), h.flashBytes(), h.cpu(), h.clockMhz(), formats,
                h.sensors(), h.runtimeVersion(), h.firmwareVersion(), h.gatewayId(), true, at);
    }

    /**
     * Writes everything queued so far, then stops the writer. The writer is never interrupted: an
     * interrupt inside TDB2's file I/O would close the store's channels mid-transaction. Call it
     * after the producers (MQTT intake, round driver) have stopped, and before the registry closes.
     */
    @Override
    public void close() {
        synchronized (lock) {
            closing = true;
            lock.notifyAll();
        }
        long waited = 0;
        try {
            while (writer.isAlive() && waited < CLOSE_WAIT_MS) {
                writer.join(CLOSE_LOG_EVERY_MS);
                waited += CLOSE_LOG_EVERY_MS;
                if (writer.isAlive()) {
                    LOG.log(System.Logger.Level.INFO, "closing: registry writer still busy after {0} s", waited / 1000);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            LOG.log(System.Logger.Level.ERROR, "closing: registry writer did not finish within {0} s (the registry "
                    + "keeps its last committed state)", CLOSE_WAIT_MS / 1000);
        }
    }
}
