package io.tinyfed.registry.vocabulary;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;

/** W3C ML-Schema. */
public final class MLS {
    public static final String NS = "http://www.w3.org/ns/mls#";

    public static final Resource MODEL = ResourceFactory.createResource(NS + "Model");
    public static final Resource RUN = ResourceFactory.createResource(NS + "Run");
    public static final Resource MODEL_EVALUATION = ResourceFactory.createResource(NS + "ModelEvaluation");
    public static final Resource EVALUATION_MEASURE = ResourceFactory.createResource(NS + "EvaluationMeasure");
    public static final Property HAS_QUALITY = ResourceFactory.createProperty(NS + "hasQuality");
    public static final Property SPECIFIED_BY = ResourceFactory.createProperty(NS + "specifiedBy");
    public static final Property HAS_VALUE = ResourceFactory.createProperty(NS + "hasValue");
    public static final Property HAS_OUTPUT = ResourceFactory.createProperty(NS + "hasOutput");
    public static final Property EXECUTES = ResourceFactory.createProperty(NS + "executes");

    private MLS() {
    }
}
