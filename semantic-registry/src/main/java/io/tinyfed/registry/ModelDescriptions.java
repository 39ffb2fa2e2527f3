package io.tinyfed.registry;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.ArenaPlan;
import io.tinyfed.core.Layer;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.TrainingConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a {@link ModelVersionDescription} for a TinyFed model from the runtime's arena planner, so
 * that the registry's memory figures are the ones {@code Network.prepare} will demand: per number
 * format, the inference arena, the training arena for all layers and for the last layer only, and
 * the flash the weights (and S16 scales) take.
 */
public final class ModelDescriptions {
    private ModelDescriptions() {
    }

    public static ModelVersionDescription of(String modelId, long version, Long parentVersion, Architecture architecture,
                                             List<String> requiredProperties, Double adaptedLoss, Instant created) {
        List<ModelVersionDescription.Requirement> requirements = new ArrayList<>();
        int trainable = architecture.parametrizedLayerCount();
        for (NumberFormat f : NumberFormat.values()) {
            ArenaPlan inference = ArenaPlan.of(architecture, f, TrainingConfig.inference());
            long flash = inference.bytes(ArenaPlan.WEIGHTS) + inference.bytes(ArenaPlan.SCALES);
            for (int layers : trainable > 1 ? new int[] {trainable, 1} : new int[] {trainable}) {
                ArenaPlan training = ArenaPlan.of(architecture, f, TrainingConfig.builder().trainableLayers(layers).build());
                requirements.add(new ModelVersionDescription.Requirement(f.name(), inference.totalBytes(),
                        training.totalBytes(), layers, flash));
            }
        }
        return new ModelVersionDescription(modelId, version, parentVersion, architecture.name(),
                architecture.parameterCount(), requirements, layers(architecture), requiredProperties, adaptedLoss, created);
    }

    /**
     * A firmware build of {@code version}: only the S16 requirements (the C runtime runs int16), with
     * the flash the linked firmware measured instead of the weights alone.
     */
    public static ModelVersionDescription firmware(ModelVersionDescription version, long measuredFlashBytes) {
        List<ModelVersionDescription.Requirement> s16 = new ArrayList<>();
        for (ModelVersionDescription.Requirement r : version.requirements()) {
            if (r.format().equals(NumberFormat.S16.name())) {
                s16.add(new ModelVersionDescription.Requirement(r.format(), r.inferenceArenaBytes(), r.trainingArenaBytes(),
                        r.trainableLayers(), measuredFlashBytes));
            }
        }
        return new ModelVersionDescription(version.modelId(), version.version(), version.parentVersion(),
                version.architecture(), version.parameterCount(), s16, version.layers(), version.requiredProperties(),
                version.adaptedLoss(), version.created());
    }

    /** The parametrised layers in nnet: terms, each with the activation that follows it. */
    static List<ModelVersionDescription.LayerInfo> layers(Architecture a) {
        List<ModelVersionDescription.LayerInfo> out = new ArrayList<>();
        List<Layer> layers = a.layers();
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String type = l instanceof Layer.Dense ? "FullyConnected" : l instanceof Layer.Conv1D ? "Conv1D" : null;
            if (type == null) {
                continue;
            }
            String activation = null;
            if (i + 1 < layers.size() && layers.get(i + 1) instanceof Layer.Activation act) {
                activation = switch (act.kind()) {
                    case RELU -> "Relu";
                    case TANH -> "Tanh";
                    case SIGMOID -> "Sigmoid";
                    case SOFTMAX -> "Softmax";
                };
            }
            out.add(new ModelVersionDescription.LayerInfo(out.size(), type, activation, l.inputSize(), l.outputSize()));
        }
        return out;
    }
}
