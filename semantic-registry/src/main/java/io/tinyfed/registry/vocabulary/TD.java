package io.tinyfed.registry.vocabulary;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;

/** W3C WoT Thing Description terms written by the WoT importer. */
public final class TD {
    public static final String NS = "https://www.w3.org/2019/wot/td#";

    public static final Resource THING = ResourceFactory.createResource(NS + "Thing");
    public static final Resource PROPERTY_AFFORDANCE = ResourceFactory.createResource(NS + "PropertyAffordance");
    public static final Property TITLE = ResourceFactory.createProperty(NS + "title");
    public static final Property DESCRIPTION = ResourceFactory.createProperty(NS + "description");
    public static final Property HAS_PROPERTY_AFFORDANCE = ResourceFactory.createProperty(NS + "hasPropertyAffordance");
    public static final Property IS_OBSERVABLE = ResourceFactory.createProperty(NS + "isObservable");
    public static final Property NAME = ResourceFactory.createProperty(NS + "name");

    private TD() {
    }
}
