package io.tinyfed.registry;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One version of a model: its architecture, the resources it needs per number format (from the
 * runtime's arena planner, see {@link ModelDescriptions}), its lineage and its evaluation.
 *
 * @param parentVersion     the version it was derived from; null for an initial version
 * @param requiredProperties observable properties its input needs (a device must host a sensor for each)
 * @param adaptedLoss       mean held-out loss after few-shot adaptation; null when not evaluated
 * @param created           when the version was produced; null when unknown
 */
public record ModelVersionDescription(String modelId, long version, Long parentVersion, String architecture,
                                      long parameterCount, List<Requirement> requirements, List<LayerInfo> layers,
                                      List<String> requiredProperties, Double adaptedLoss, Instant created) {
    public ModelVersionDescription {
        Objects.requireNonNull(modelId, "modelId");
        requirements = List.copyOf(requirements);
        layers = List.copyOf(layers);
        requiredProperties = List.copyOf(requiredProperties);
    }

    /** The registry IRI of this version. */
    public String iri() {
        return Iris.version(modelId, version);
    }

    /**
     * What the model needs in one number format.
     *
     * @param trainingArenaBytes arena to train the last {@code trainableLayers} layers; null: inference only
     * @param trainableLayers    null when {@code trainingArenaBytes} is null
     * @param flashBytes         weights as stored in flash; null when unknown
     */
    public record Requirement(String format, long inferenceArenaBytes, Long trainingArenaBytes, Integer trainableLayers,
                              Long flashBytes) {
    }

    /**
     * One layer in the TinyML neural-network ontology's terms.
     *
     * @param type       nnet layer type local name, e.g. {@code FullyConnected}
     * @param activation nnet activation local name, e.g. {@code Relu}; null for none
     */
    public record LayerInfo(int index, String type, String activation, int inputs, int outputs) {
    }
}
