package io.tinyfed.registry.vocabulary;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;

/** The TinyML neural-network ontology ({@code nnet:}). Importers also accept its older namespaces (see {@code PublishedImporter}). */
public final class NNET {
    public static final String NS = "https://w3id.org/tinyml-schema/neural-network-schema#";

    public static final Resource NEURAL_NETWORK = ResourceFactory.createResource(NS + "NeuralNetwork");
    public static final Resource LAYER = ResourceFactory.createResource(NS + "Layer");
    public static final Resource FULLY_CONNECTED = ResourceFactory.createResource(NS + "FullyConnected");
    public static final Resource CONV1_D = ResourceFactory.createResource(NS + "Conv1D");
    public static final Resource CONV2_D = ResourceFactory.createResource(NS + "Conv2D");
    public static final Resource DEPTHWISE_CONV2_D = ResourceFactory.createResource(NS + "DepthwiseConv2D");
    public static final Resource RELU = ResourceFactory.createResource(NS + "Relu");
    public static final Resource RELU6 = ResourceFactory.createResource(NS + "Relu6");
    public static final Resource TANH = ResourceFactory.createResource(NS + "Tanh");
    public static final Resource SIGMOID = ResourceFactory.createResource(NS + "Sigmoid");
    public static final Resource SOFTMAX = ResourceFactory.createResource(NS + "Softmax");
    public static final Resource FLOAT32 = ResourceFactory.createResource(NS + "Float32");
    public static final Resource INT16 = ResourceFactory.createResource(NS + "Int16");
    public static final Resource INT8 = ResourceFactory.createResource(NS + "Int8");
    public static final Resource UINT8 = ResourceFactory.createResource(NS + "Uint8");
    public static final Resource INT32 = ResourceFactory.createResource(NS + "Int32");
    public static final Property HAS_LAYER = ResourceFactory.createProperty(NS + "hasLayer");
    public static final Property INPUT_LAYER = ResourceFactory.createProperty(NS + "inputLayer");
    public static final Property MIDDLE_LAYER = ResourceFactory.createProperty(NS + "middleLayer");
    public static final Property OUTPUT_LAYER = ResourceFactory.createProperty(NS + "outputLayer");
    public static final Property HAS_INDEX = ResourceFactory.createProperty(NS + "hasIndex");
    public static final Property HAS_TYPE = ResourceFactory.createProperty(NS + "hasType");
    public static final Property HAS_ACTIVATION = ResourceFactory.createProperty(NS + "hasActivation");
    public static final Property HAS_QUANTIZATION = ResourceFactory.createProperty(NS + "hasQuantization");
    public static final Property HAS_MULTIPLY_ACCUMULATE_OPS = ResourceFactory.createProperty(NS + "hasMultiplyAccumulateOps");
    public static final Property HAS_CATEGORY = ResourceFactory.createProperty(NS + "hasCategory");
    public static final Property HAS_METRIC = ResourceFactory.createProperty(NS + "hasMetric");

    private NNET() {
    }
}
