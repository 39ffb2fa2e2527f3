package io.tinyfed.registry.vocabulary;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;

/** W3C SSN core terms used by the registry. */
public final class SSN {
    public static final String NS = "http://www.w3.org/ns/ssn/";

    public static final Resource SYSTEM = ResourceFactory.createResource(NS + "System");
    public static final Property HAS_SUB_SYSTEM = ResourceFactory.createProperty(NS + "hasSubSystem");
    public static final Property IMPLEMENTS = ResourceFactory.createProperty(NS + "implements");
    public static final Property HAS_INPUT = ResourceFactory.createProperty(NS + "hasInput");
    public static final Property HAS_OUTPUT = ResourceFactory.createProperty(NS + "hasOutput");

    private SSN() {
    }
}
