package io.tinyfed.registry.importer;

import io.tinyfed.registry.Iris;
import io.tinyfed.registry.internal.Describe;
import io.tinyfed.registry.importer.tflite.MicroArena;
import io.tinyfed.registry.importer.tflite.TfliteModel;
import io.tinyfed.registry.vocabulary.NNET;
import io.tinyfed.registry.vocabulary.SCHEMA;
import io.tinyfed.registry.vocabulary.TF;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.vocabulary.RDF;

/**
 * Describes a {@code .tflite} model in the TinyML neural-network ontology: one nnet:Layer per
 * operator (type, fused activation, quantisation), parameter count, MACs, file size, and a
 * {@code tf:} requirement (format of its weights, estimated activation arena, flash = file size)
 * so that matchmaking can answer "which devices can run it".
 */
final class TfliteImporter {
    private static final Map<String, String> LAYER_TYPES = Map.ofEntries(
            Map.entry("CONV_2D", "Conv2D"), Map.entry("DEPTHWISE_CONV_2D", "DepthwiseConv2D"),
            Map.entry("FULLY_CONNECTED", "FullyConnected"), Map.entry("AVERAGE_POOL_2D", "AvgPool2D"),
            Map.entry("MAX_POOL_2D", "MaxPool2D"), Map.entry("RESHAPE", "Reshape"), Map.entry("SOFTMAX", "Softmax"),
            Map.entry("ADD", "Add"), Map.entry("PAD", "Pad"), Map.entry("MEAN", "Mean"), Map.entry("QUANTIZE", "Quantize"),
            Map.entry("DEQUANTIZE", "Dequantize"), Map.entry("LOGISTIC", "Logistic"), Map.entry("CONCATENATION", "Concatenation"),
            Map.entry("MUL", "Mul"), Map.entry("RELU", "Relu"), Map.entry("RELU6", "Relu6"), Map.entry("TANH", "Tanh"));
    private static final Set<String> WEIGHTED = Set.of("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED");

    private TfliteImporter() {
    }

    /** @param sha hex SHA-256 of {@code bytes} (the model's identity) */
    static Model describe(String fileName, byte[] bytes, String sha, TfliteModel t, PublishedNormalizer report) {
        Model m = ModelFactory.createDefaultModel();
        m.setNsPrefix("nnet", NNET.NS).setNsPrefix("tf", TF.NS).setNsPrefix("schema", SCHEMA.NS);
        String iri = Iris.BASE + "tflite/" + sha.substring(0, 16);
        String name = fileName.replaceAll("(?i)\\.tflite$", "");
        Resource model = m.createResource(iri).addProperty(RDF.type, NNET.NEURAL_NETWORK)
                .addProperty(SCHEMA.NAME, name).addProperty(SCHEMA.IDENTIFIER, "sha256:" + sha)
                .addProperty(TF.IMPORTED_FROM, fileName)
                .addLiteral(TF.FILE_BYTES, Describe.integer(t.fileBytes()))
                .addLiteral(TF.PARAMETER_COUNT, Describe.integer(t.parameterCount()))
                .addLiteral(NNET.HAS_MULTIPLY_ACCUMULATE_OPS, Describe.integer(t.macs()));
        if (t.description() != null && !t.description().isBlank()) {
            model.addProperty(SCHEMA.DESCRIPTION, t.description());
        }
        Map<String, Integer> weightTypes = new LinkedHashMap<>();
        List<TfliteModel.Operator> ops = t.operators();
        for (int i = 0; i < ops.size(); i++) {
            TfliteModel.Operator op = ops.get(i);
            Resource layer = m.createResource(iri + "#layer-" + i).addProperty(RDF.type, NNET.LAYER)
                    .addLiteral(NNET.HAS_INDEX, Describe.integer(i));
            String type = LAYER_TYPES.get(op.op());
            if (type != null) {
                layer.addProperty(NNET.HAS_TYPE, m.createResource(NNET.NS + type));
            } else {
                layer.addProperty(NNET.HAS_TYPE, m.createResource(NNET.NS + camel(op.op())));
            }
            if (op.activation() != TfliteModel.Activation.NONE) {
                layer.addProperty(NNET.HAS_ACTIVATION, m.createResource(NNET.NS + camel(op.activation().name())));
            }
            TfliteModel.Tensor quantTensor = WEIGHTED.contains(op.op()) && op.inputs().length > 1
                    ? t.tensors().get(op.inputs()[1]) : op.outputs().length > 0 ? t.tensors().get(op.outputs()[0]) : null;
            if (quantTensor != null) {
                layer.addProperty(NNET.HAS_QUANTIZATION, m.createResource(NNET.NS + camel(quantTensor.type().name())));
                if (WEIGHTED.contains(op.op())) {
                    weightTypes.merge(quantTensor.type().name(), 1, Integer::sum);
                }
            }
            model.addProperty(i == 0 ? NNET.INPUT_LAYER : i == ops.size() - 1 ? NNET.OUTPUT_LAYER : NNET.MIDDLE_LAYER, layer);
        }
        Resource format = weightTypes.containsKey("INT8") || weightTypes.containsKey("UINT8") ? TF.S8
                : weightTypes.containsKey("INT16") ? TF.S16 : TF.F32;
        if (weightTypes.containsKey("FLOAT16")) {
            report.note(fileName + ": float16 weights are dequantised to float32 at load; requirement in F32");
        }
        MicroArena.Estimate estimate = MicroArena.estimate(t, MicroArena.Target.CORTEX_M, MicroArena.Kernels.CMSIS_NN);
        long arena = estimate.total();
        if (estimate.planned() <= 0) {
            report.note(fileName + ": no activation tensors; arena estimate unavailable, not matchable");
            return m;
        }
        model.addProperty(TF.REQUIREMENT, m.createResource(iri + "#requirement").addProperty(RDF.type, TF.RESOURCE_REQUIREMENT)
                .addProperty(TF.FORMAT, format).addLiteral(TF.INFERENCE_ARENA_BYTES, Describe.integer(arena))
                .addLiteral(TF.FLASH_BYTES, Describe.integer(t.fileBytes())).addLiteral(TF.ESTIMATED, true));
        report.note(fileName + ": inference arena " + arena + " B estimated as TFLite Micro lays it out on a 32-bit"
                + " Cortex-M build with CMSIS-NN kernels (" + estimate.head() + " B activations and scratch, "
                + estimate.tail() + " B persistent, " + estimate.interpreter() + " B interpreter); flash is the file size");
        for (String assumption : estimate.assumptions()) {
            report.note(fileName + ": " + assumption);
        }
        report.models().add(iri);
        return m;
    }

    private static String camel(String upper) {
        StringBuilder sb = new StringBuilder();
        for (String part : upper.toLowerCase(Locale.ROOT).split("[_:]")) {
            if (!part.isEmpty()) {
                sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return sb.toString();
    }
}
