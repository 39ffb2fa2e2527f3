package io.tinyfed.registry.vocabulary;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;

/** OM-2 units of information. */
public final class OM {
    public static final String NS = "http://www.ontology-of-units-of-measure.org/resource/om-2/";

    public static final Resource BYTE = ResourceFactory.createResource(NS + "byte");
    public static final Resource KILOBYTE = ResourceFactory.createResource(NS + "kilobyte");
    public static final Resource MEGABYTE = ResourceFactory.createResource(NS + "megabyte");
    public static final Resource KIBIBYTE = ResourceFactory.createResource(NS + "kibibyte");
    public static final Resource MEBIBYTE = ResourceFactory.createResource(NS + "mebibyte");
    public static final Resource MEGAHERTZ = ResourceFactory.createResource(NS + "megahertz");

    private OM() {
    }
}
