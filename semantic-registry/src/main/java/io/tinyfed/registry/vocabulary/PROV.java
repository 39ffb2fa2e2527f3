package io.tinyfed.registry.vocabulary;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;

/** W3C PROV-O terms for model lineage. */
public final class PROV {
    public static final String NS = "http://www.w3.org/ns/prov#";

    public static final Resource ENTITY = ResourceFactory.createResource(NS + "Entity");
    public static final Resource ACTIVITY = ResourceFactory.createResource(NS + "Activity");
    public static final Property WAS_DERIVED_FROM = ResourceFactory.createProperty(NS + "wasDerivedFrom");
    public static final Property WAS_GENERATED_BY = ResourceFactory.createProperty(NS + "wasGeneratedBy");
    public static final Property USED = ResourceFactory.createProperty(NS + "used");
    public static final Property WAS_ASSOCIATED_WITH = ResourceFactory.createProperty(NS + "wasAssociatedWith");
    public static final Property STARTED_AT_TIME = ResourceFactory.createProperty(NS + "startedAtTime");
    public static final Property WAS_INFORMED_BY = ResourceFactory.createProperty(NS + "wasInformedBy");
    public static final Property ENDED_AT_TIME = ResourceFactory.createProperty(NS + "endedAtTime");
    public static final Property GENERATED_AT_TIME = ResourceFactory.createProperty(NS + "generatedAtTime");

    private PROV() {
    }
}
