package io.tinyfed.registry.importer;

import com.fasterxml.jackson.databind.JsonNode;
import io.tinyfed.registry.InvalidDescriptionException;
import io.tinyfed.registry.importer.tflite.TfliteModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFLanguages;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.riot.RiotException;

/**
 * Reads a description file of any supported kind into RDF ready for validation: Turtle, N-Triples,
 * RDF/XML or JSON-LD (native {@code tf:} or published TinyML/S3N/SOSA descriptions), WoT Thing
 * Descriptions, and {@code .tflite} models. Published descriptions are normalised
 * ({@link PublishedNormalizer}); what was skipped is in the result's notes.
 */
public final class Importers {
    /** Largest file the registry reads (a .tflite for an MCU is far smaller). */
    public static final long MAX_BYTES = 64L * 1024 * 1024;

    private Importers() {
    }

    /**
     * JSON-LD options whose document loader fetches nothing: importing a file never makes the
     * registry open a URL a file names (a remote {@code @context} is a request to any host the
     * file's author chooses). Contexts must be inline.
     */
    private static final com.apicatalog.jsonld.JsonLdOptions NOTHING_REMOTE = new com.apicatalog.jsonld.JsonLdOptions(
            (uri, options) -> {
                throw new com.apicatalog.jsonld.JsonLdError(com.apicatalog.jsonld.JsonLdErrorCode.LOADING_REMOTE_CONTEXT_FAILED,
                        "the JSON-LD context " + uri + " is not fetched: the registry reads only what is in the file; "
                                + "put the context inline");
            });

    /** The RDF read from a file, what the normaliser made of it, and the SHA-256 (hex) of the file's bytes. */
    public record Result(Model model, List<String> devices, List<String> models, List<String> skipped, String sha256) {
    }

    /** {@link #read(Path, io.tinyfed.registry.ImportOptions)} with the default options. */
    public static Result read(Path file) {
        return read(file, io.tinyfed.registry.ImportOptions.DEFAULT);
    }

    /** @throws InvalidDescriptionException if the file is unreadable, too large, malformed or of an unknown kind */
    public static Result read(Path file, io.tinyfed.registry.ImportOptions options) {
        String name = file.getFileName().toString();
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new InvalidDescriptionException(name, "  larger than " + MAX_BYTES + " bytes");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            String why = e instanceof java.nio.file.NoSuchFileException ? "no such file"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
            throw new InvalidDescriptionException(name, "  cannot read " + file + ": " + why);
        }
        return read(name, bytes, options);
    }

    static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /**
     * Reads the contents of a file named {@code name} (its extension says the kind).
     *
     * @throws InvalidDescriptionException if the bytes are malformed or of an unknown kind
     */
    public static Result read(String name, byte[] bytes) {
        return read(name, bytes, io.tinyfed.registry.ImportOptions.DEFAULT);
    }

    /** As {@link #read(String, byte[])}, reading memory figures as {@code options} say. */
    public static Result read(String name, byte[] bytes, io.tinyfed.registry.ImportOptions options) {
        if (bytes.length > MAX_BYTES) {
            throw new InvalidDescriptionException(name, "  larger than " + MAX_BYTES + " bytes");
        }
        PublishedNormalizer normalizer = new PublishedNormalizer(options.kilobyteBytes());
        String sha = sha256(bytes);
        String lower = name.toLowerCase(Locale.ROOT);
        Model model;
        if (lower.endsWith(".tflite")) {
            TfliteModel t;
            try {
                t = TfliteModel.parse(bytes);
            } catch (IllegalArgumentException e) {
                throw new InvalidDescriptionException(name, "  " + e.getMessage());
            }
            model = TfliteImporter.describe(name, bytes, sha, t, normalizer);
            return new Result(model, normalizer.devices(), normalizer.models(), normalizer.skipped(), sha);
        }
        if (lower.endsWith(".json") || lower.endsWith(".jsonld")) {
            JsonNode doc = WotImporter.parse(name, bytes);
            if (doc.isObject() && WotImporter.isThingDescription(doc)) {
                model = normalizer.normalize(WotImporter.read(name, doc, normalizer));
                return new Result(model, normalizer.devices(), normalizer.models(), normalizer.skipped(), sha);
            }
        }
        Lang lang = RDFLanguages.filenameToLang(name, lower.endsWith(".json") ? Lang.JSONLD : null);
        if (lang == null) {
            throw new InvalidDescriptionException(name, "  unknown file kind; use .ttl, .nt, .rdf, .jsonld, .td.json or .tflite");
        }
        Model parsed = ModelFactory.createDefaultModel();
        try {
            RDFParser.fromString(new String(bytes, java.nio.charset.StandardCharsets.UTF_8), lang)
                    .base("file:///" + name)
                    .set(org.apache.jena.riot.lang.LangJSONLD11.JSONLD_OPTIONS, NOTHING_REMOTE)
                    .errorHandler(org.apache.jena.riot.system.ErrorHandlerFactory.errorHandlerStrictNoLogging).parse(parsed);
        } catch (RiotException e) {
            throw new InvalidDescriptionException(name, "  malformed " + lang.getLabel() + ": " + e.getMessage());
        }
        model = normalizer.normalize(parsed);
        return new Result(model, normalizer.devices(), normalizer.models(), normalizer.skipped(), sha);
    }
}
