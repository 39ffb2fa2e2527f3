package io.tinyfed.coordinator.round;

import io.tinyfed.core.Model;
import io.tinyfed.protocol.DeviceHello;
import java.time.Instant;
import io.tinyfed.core.NumberFormat;
import java.util.List;
import java.util.Map;

/**
 * Where the round engine keeps what it knows about devices and model versions, and asks which devices
 * may train: in memory ({@link InMemoryInventory}) or in the semantic registry (the coordinator's
 * {@code registry.RegistryInventory}, whose eligibility is a SPARQL query). Implementations must not
 * block the caller on slow writes; a refused description is reported through {@link Refusals}.
 */
public interface Inventory extends AutoCloseable {

    /** Reports descriptions the inventory refused (the engine counts and answers them). */
    interface Refusals {
        void refused(String deviceId, String reason);
    }

    void deviceHello(DeviceHello hello, Instant at);

    void deviceState(String deviceId, boolean online, Instant at);

    /** Sorted ids of the devices that may train {@code version} of {@code model} now. */
    List<String> eligible(String modelId, long version, Model model);

    /**
     * A model version the engine stored.
     *
     * @param round      the round that produced it; null for an initial or resumed version
     * @param adaptedLoss its meta-evaluation; null when not (yet) evaluated
     */
    void versionStored(String modelId, long version, Long parentVersion, Model model, RoundRecord round, Double adaptedLoss);

    /**
     * A closed round that produced a version, for lineage.
     *
     * @param epsilon the outer step size applied
     */
    record RoundRecord(int round, long baseVersion, String strategy, List<String> participants, int innerSteps,
                       double innerLearningRate, double epsilon, Instant started, Instant ended) {
        public RoundRecord {
            participants = List.copyOf(participants);
        }
    }

    @Override
    default void close() {
    }

    /**
     * Per number format, the smallest arena in which {@code arch} trains (its last layer): what a
     * device needs to learn from a model at all, the RAM rule of eligibility and of rollout targets.
     */
    static Map<NumberFormat, Long> lastLayerTrainingArena(io.tinyfed.core.Architecture arch) {
        Map<NumberFormat, Long> out = new java.util.EnumMap<>(NumberFormat.class);
        for (NumberFormat f : NumberFormat.values()) {
            out.put(f, io.tinyfed.core.ArenaPlan.of(arch, f, io.tinyfed.core.TrainingConfig.builder().trainableLayers(1)
                    .build()).totalBytes());
        }
        return out;
    }
}
