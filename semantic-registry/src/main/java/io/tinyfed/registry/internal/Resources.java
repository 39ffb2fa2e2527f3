package io.tinyfed.registry.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.jena.query.ParameterizedSparqlString;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;

/** The registry's shipped resources: vocabulary, shapes and SPARQL text ({@code .rq}/{@code .ru}). */
public final class Resources {
    private static final String ROOT = "/io/tinyfed/registry/";
    private static final Map<String, String> TEXT = new ConcurrentHashMap<>();

    /** The shipped queries a user runs as they are (or with one value filled in): the consoles' examples. */
    public static final java.util.List<String> EXAMPLE_QUERIES = java.util.List.of("inventory.rq", "devices-for-model.rq",
            "lineage.rq", "deployed-where.rq", "refused-deploys.rq", "devices-older-than.rq", "model-identities.rq",
            "imports-with-hash.rq");

    private Resources() {
    }

    /** A query or update template from {@code queries/}, parameters to be bound by the caller. */
    public static ParameterizedSparqlString sparql(String name) {
        // Leading comment lines are for readers; ParameterizedSparqlString.setValues skips substitution after them.
        String text = text("queries/" + name);
        return new ParameterizedSparqlString(text.replaceAll("(?m)\\A(?:#[^\\n]*\\n)+", ""));
    }

    /** The text of a shipped query, for users who pass {@code --resource NAME}. */
    public static String queryText(String name) {
        return text("queries/" + name);
    }

    /** A shipped Turtle file ({@code tinyfed.ttl}, {@code shapes.ttl}) as a model. */
    public static Model turtle(String name) {
        Model m = ModelFactory.createDefaultModel();
        RDFParser.fromString(text(name), Lang.TURTLE).parse(m);
        return m;
    }

    private static String text(String name) {
        return TEXT.computeIfAbsent(name, n -> {
            try (InputStream in = Resources.class.getResourceAsStream(ROOT + n)) {
                if (in == null) {
                    throw new IllegalArgumentException("no registry resource " + n);
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
