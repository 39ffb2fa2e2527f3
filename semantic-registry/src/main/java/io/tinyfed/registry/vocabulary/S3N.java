package io.tinyfed.registry.vocabulary;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;

/** S3N, the smart sensor network ontology: smart sensors, micro-controllers, memory. */
public final class S3N {
    public static final String NS = "http://w3id.org/s3n/";

    public static final Resource SMART_SENSOR = ResourceFactory.createResource(NS + "SmartSensor");
    public static final Resource MICRO_CONTROLLER = ResourceFactory.createResource(NS + "MicroController");
    public static final Resource MEMORY = ResourceFactory.createResource(NS + "Memory");
    public static final Resource ALGORITHM = ResourceFactory.createResource(NS + "Algorithm");
    public static final Property HAS_SYSTEM_CAPABILITY = ResourceFactory.createProperty(NS + "hasSystemCapability");
    public static final Property HAS_PROCEDURE_FEATURE = ResourceFactory.createProperty(NS + "hasProcedureFeature");

    private S3N() {
    }
}
