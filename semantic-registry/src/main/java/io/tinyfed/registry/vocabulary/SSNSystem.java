package io.tinyfed.registry.vocabulary;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;

/** W3C SSN system capabilities ({@code ssn-system:}). */
public final class SSNSystem {
    public static final String NS = "http://www.w3.org/ns/ssn/systems/";

    public static final Resource SYSTEM_CAPABILITY = ResourceFactory.createResource(NS + "SystemCapability");
    public static final Resource CONDITION = ResourceFactory.createResource(NS + "Condition");
    public static final Property HAS_SYSTEM_CAPABILITY = ResourceFactory.createProperty(NS + "hasSystemCapability");
    public static final Property HAS_SYSTEM_PROPERTY = ResourceFactory.createProperty(NS + "hasSystemProperty");
    public static final Property IN_CONDITION = ResourceFactory.createProperty(NS + "inCondition");

    private SSNSystem() {
    }
}
