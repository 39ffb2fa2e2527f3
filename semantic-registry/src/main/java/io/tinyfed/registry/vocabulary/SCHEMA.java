package io.tinyfed.registry.vocabulary;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;

/** schema.org terms as the TinyML descriptions use them (https namespace; importers map http://schema.org/ onto it). */
public final class SCHEMA {
    public static final String NS = "https://schema.org/";

    public static final Property NAME = ResourceFactory.createProperty(NS + "name");
    public static final Property IDENTIFIER = ResourceFactory.createProperty(NS + "identifier");
    public static final Property DESCRIPTION = ResourceFactory.createProperty(NS + "description");
    public static final Property VALUE = ResourceFactory.createProperty(NS + "value");
    public static final Property MIN_VALUE = ResourceFactory.createProperty(NS + "minValue");
    public static final Property MAX_VALUE = ResourceFactory.createProperty(NS + "maxValue");
    public static final Property UNIT_CODE = ResourceFactory.createProperty(NS + "unitCode");
    public static final Property VERSION = ResourceFactory.createProperty(NS + "version");
    public static final Property DATE_CREATED = ResourceFactory.createProperty(NS + "dateCreated");
    public static final Property CREATOR = ResourceFactory.createProperty(NS + "creator");

    private SCHEMA() {
    }
}
