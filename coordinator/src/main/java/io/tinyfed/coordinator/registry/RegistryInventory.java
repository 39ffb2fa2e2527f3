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
import io.tinyfed.registry.Registry;
import io.tinyfed.registry.RegistryException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The round engine's inventory in the semantic registry: devices are registered from their hellos
 * (SHACL-validated) and kept online/offline from their state topic, every stored model version is
 * registered with its arena requirements and PROV-O lineage, and eligibility is the registry's
 * SPARQL query ({@link Registry#eligibleForTraining}).
 *
 * <p>Writes go through one writer thread that drains its queue in batches (a fleet of 1,000
 * devices connecting at once becomes a few transactions, not 1,000), so MQTT handling never waits
 * for the store. A hello the shapes refuse is reported to {@link Refusals} and not registered.
 */
public final class RegistryInventory implements Inventory {
    private static final System.Logger LOG = System.getLogger(RegistryInventory.class.getName());
    private static final int BATCH = 500;

    private final Registry registry;
    private final String fleet;
    private final List<String> requiredSensors;
    private final Refusals refusals;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile boolean closing;
    private final java.util.concurrent.atomic.AtomicLong failedWrites = new java.util.concurrent.atomic.AtomicLong();

    private record Hello(DeviceHello hello, Instant at) {
    }

    private record State(String deviceId, boolean online, Instant at) {
    }

    private record Version(ModelVersionDescription description, io.tinyfed.registry.RoundRecord round) {
    }

    /** A marker whose processing means everything queued before it is written. */
    private record Flush(java.util.concurrent.CountDownLatch done) {
    }

    /**
     * @param requiredSensors observable properties the fleet's model needs (devices must sense each)
     */
    public RegistryInventory(Registry registry, String fleet, List<String> requiredSensors, Refusals refusals) {
        this.registry = registry;
        this.fleet = fleet;
        this.requiredSensors = List.copyOf(requiredSensors);
        this.refusals = refusals;
        this.writer = new Thread(this::drain, "tinyfed-registry-writer");
        writer.setDaemon(true);
        writer.start();
    }

    @Override
    public void deviceHello(DeviceHello hello, Instant at) {
        queue.add(new Hello(hello, at));
    }

    @Override
    public void deviceState(String deviceId, boolean online, Instant at) {
        queue.add(new State(deviceId, online, at));
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
        queue.add(new Version(d, r));
    }

    /** Waits until everything queued so far is written (tests, shutdown, the demo's final query). */
    public boolean flush(long timeout, TimeUnit unit) throws InterruptedException {
        Flush f = new Flush(new java.util.concurrent.CountDownLatch(1));
        queue.add(f);
        return f.done().await(timeout, unit);
    }

    /** Registry writes that failed for reasons other than an invalid description (store errors). */
    public long failedWrites() {
        return failedWrites.get();
    }

    private void drain() {
        List<Object> batch = new ArrayList<>();
        while (!closing || !queue.isEmpty()) {
            try {
                Object first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                write(batch);
            } catch (InterruptedException e) {
                if (closing) {
                    queue.drainTo(batch);
                    write(batch);
                    return;
                }
            } catch (RuntimeException e) {
                failedWrites.incrementAndGet();
                LOG.log(System.Logger.Level.ERROR, "registry write failed", e);
            } finally {
                batch.clear();
            }
        }
    }

    /** Writes a drained batch in order, grouping consecutive hellos into one transaction. */
    private void write(List<Object> batch) {
        Map<String, Hello> hellos = new LinkedHashMap<>();
        for (Object o : batch) {
            if (o instanceof Hello h) {
                hellos.put(h.hello().deviceId(), h);
                continue;
            }
            registerHellos(hellos);
            if (o instanceof State s) {
                guarded(() -> registry.setOnline(fleet, s.deviceId(), s.online(), s.at()));
            } else if (o instanceof Version v) {
                guarded(() -> {
                    registry.registerModelVersion(v.description());
                    if (v.round() != null) {
                        registry.recordRound(v.round());
                    }
                });
            } else if (o instanceof Flush f) {
                f.done().countDown();
            }
        }
        registerHellos(hellos);
    }

    private void registerHellos(Map<String, Hello> hellos) {
        if (hellos.isEmpty()) {
            return;
        }
        List<DeviceDescription> all = new ArrayList<>();
        hellos.values().forEach(h -> all.add(describe(h.hello(), h.at())));
        hellos.clear();
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

    @Override
    public void close() {
        closing = true;
        writer.interrupt();
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
