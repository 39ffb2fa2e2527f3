package io.tinyfed.registry.vocabulary;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;

/** W3C SOSA (Sensor, Observation, Sample, and Actuator). */
public final class SOSA {
    public static final String NS = "http://www.w3.org/ns/sosa/";

    public static final Resource PLATFORM = ResourceFactory.createResource(NS + "Platform");
    public static final Resource SENSOR = ResourceFactory.createResource(NS + "Sensor");
    public static final Resource OBSERVABLE_PROPERTY = ResourceFactory.createResource(NS + "ObservableProperty");
    public static final Property HOSTS = ResourceFactory.createProperty(NS + "hosts");
    public static final Property IS_HOSTED_BY = ResourceFactory.createProperty(NS + "isHostedBy");
    public static final Property OBSERVES = ResourceFactory.createProperty(NS + "observes");

    private SOSA() {
    }
}
