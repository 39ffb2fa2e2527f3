package io.tinyfed.registry;

import java.time.Instant;
import java.util.List;

/**
 * One closed federated round and what it produced, recorded as PROV-O lineage: the round
 * {@code prov:used} the base version, is associated with its participants, and generated the
 * produced version ({@code prov:wasGeneratedBy}, {@code prov:wasDerivedFrom}).
 *
 * @param producedVersion the version the round generated; null when it produced none (no quorum)
 * @param participants    device ids whose accepted updates were aggregated
 */
public record RoundRecord(String fleet, String modelId, int round, long baseVersion, Long producedVersion,
                          String strategy, List<String> participants, int innerSteps, double innerLearningRate,
                          double outerStepSize, Instant started, Instant ended) {
    public RoundRecord {
        participants = List.copyOf(participants);
    }

    public String iri() {
        return Iris.round(modelId, round);
    }
}
