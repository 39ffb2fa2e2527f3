package io.tinyfed.registry.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tinyfed.registry.InvalidDescriptionException;
import io.tinyfed.registry.Iris;
import io.tinyfed.registry.vocabulary.SOSA;
import io.tinyfed.registry.vocabulary.TD;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.vocabulary.RDF;

/**
 * Reads a W3C WoT Thing Description. The TD context is a remote document, and a registry on a
 * gateway cannot count on fetching it, so the TD's own terms are mapped here (id, title,
 * description, property affordances), while the semantic annotations a TD carries under its own
 * prefixes (S3N capabilities, SSN subsystems) are read as JSON-LD with only the TD's local
 * prefix definitions. Each property affordance becomes a sensor observing the property it names.
 */
final class WotImporter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private WotImporter() {
    }

    /** Whether a parsed JSON document is a Thing Description (its context names the TD vocabulary). */
    static boolean isThingDescription(JsonNode doc) {
        JsonNode ctx = doc.get("@context");
        return ctx != null && ctx.toString().contains("/wot/td");
    }

    static Model read(String fileName, JsonNode doc, PublishedNormalizer report) {
        String id = text(doc, "id").orElseThrow(() -> new InvalidDescriptionException(fileName,
                "  the Thing Description has no \"id\"; a device needs an IRI (e.g. urn:dev:ops:my-board-1)"));
        Model m = ModelFactory.createDefaultModel();
        m.add(annotations(fileName, id, (ObjectNode) doc));
        Resource thing = m.createResource(id).addProperty(RDF.type, TD.THING);
        text(doc, "title").ifPresent(t -> thing.addProperty(TD.TITLE, t));
        text(doc, "description").ifPresent(t -> thing.addProperty(TD.DESCRIPTION, t));
        JsonNode props = doc.get("properties");
        if (props != null && props.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                Resource affordance = m.createResource().addProperty(RDF.type, TD.PROPERTY_AFFORDANCE)
                        .addProperty(TD.NAME, e.getKey());
                text(e.getValue(), "title").ifPresent(t -> affordance.addProperty(TD.TITLE, t));
                JsonNode observable = e.getValue().get("observable");
                if (observable != null && observable.isBoolean()) {
                    affordance.addLiteral(TD.IS_OBSERVABLE, observable.booleanValue());
                }
                thing.addProperty(TD.HAS_PROPERTY_AFFORDANCE, affordance);
                Optional<String> property = ObservableProperties.ofPropertyName(e.getKey())
                        .or(() -> text(e.getValue(), "title").flatMap(ObservableProperties::ofPropertyName));
                if (property.isPresent()) {
                    Resource sensor = m.createResource(id + "#sensor-" + e.getKey().replaceAll("[^A-Za-z0-9_-]", "_"))
                            .addProperty(RDF.type, SOSA.SENSOR)
                            .addProperty(SOSA.OBSERVES, m.createResource(Iris.property(property.get())));
                    thing.addProperty(SOSA.HOSTS, sensor).addProperty(io.tinyfed.registry.vocabulary.TF.SENSES,
                            m.createResource(Iris.property(property.get())));
                } else {
                    report.note(fileName + ": property '" + e.getKey() + "' names no physical quantity TinyFed knows; no sensor");
                }
            }
        }
        return m;
    }

    /** The TD's prefixed annotations as RDF: JSON-LD with the remote TD context removed and "id" as "@id". */
    private static Model annotations(String fileName, String id, ObjectNode doc) {
        ObjectNode copy = doc.deepCopy();
        JsonNode ctx = copy.get("@context");
        ArrayNode local = JSON.createArrayNode();
        if (ctx != null && ctx.isArray()) {
            ctx.forEach(c -> {
                if (c.isObject()) {
                    local.add(c);
                }
            });
        } else if (ctx != null && ctx.isObject()) {
            local.add(ctx);
        }
        copy.set("@context", local);
        copy.put("@id", id);
        copy.remove("id");
        JsonNode type = copy.remove("@type");
        if (type != null) {
            ArrayNode types = JSON.createArrayNode();
            (type.isArray() ? type : JSON.createArrayNode().add(type)).forEach(t -> {
                if (t.isTextual() && t.asText().contains(":")) {
                    types.add(t);
                }
            });
            copy.set("@type", types);
        }
        Model m = ModelFactory.createDefaultModel();
        try {
            RDFParser.fromString(copy.toString(), Lang.JSONLD).base(id).parse(m);
        } catch (RuntimeException e) {
            throw new InvalidDescriptionException(fileName, "  JSON-LD annotations unreadable: " + e.getMessage());
        }
        return m;
    }

    private static Optional<String> text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() && !v.asText().isBlank() ? Optional.of(v.asText()) : Optional.empty();
    }

    static JsonNode parse(String fileName, byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (java.io.IOException e) {
            throw new InvalidDescriptionException(fileName, "  not JSON: " + e.getMessage());
        }
    }
}
