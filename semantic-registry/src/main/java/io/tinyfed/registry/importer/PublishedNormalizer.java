package io.tinyfed.registry.importer;

import io.tinyfed.registry.Iris;
import io.tinyfed.registry.internal.Describe;
import io.tinyfed.registry.vocabulary.NNET;
import io.tinyfed.registry.vocabulary.OM;
import io.tinyfed.registry.vocabulary.S3N;
import io.tinyfed.registry.vocabulary.SCHEMA;
import io.tinyfed.registry.vocabulary.SOSA;
import io.tinyfed.registry.vocabulary.SSN;
import io.tinyfed.registry.vocabulary.SSNSystem;
import io.tinyfed.registry.vocabulary.TD;
import io.tinyfed.registry.vocabulary.TF;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.rdf.model.Literal;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.RDFNode;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.Statement;
import org.apache.jena.vocabulary.RDF;
import org.apache.jena.vocabulary.RDFS;

/**
 * Makes descriptions written with the published TinyML vocabularies (nnet:, S3N, SOSA/SSN,
 * schema.org, OM-2) answer TinyFed's matchmaking queries. Every original triple is kept; the
 * normaliser only rewrites known namespace variants onto the canonical ones and adds the
 * {@code tf:} terms matchmaking reads (RAM/flash bytes, formats, requirements, observed properties).
 * What it cannot read with confidence it leaves out and reports, rather than guessing:
 * a RAM figure of 0 (how some descriptions say "unknown") is unknown, not zero.
 */
final class PublishedNormalizer {
    /** Bytes in a kilobyte for this source (1024 or 1000). */
    private final long kilobyte;

    PublishedNormalizer(int kilobyteBytes) {
        this.kilobyte = kilobyteBytes;
    }
    /** Namespace variants seen in published descriptions -> the canonical namespace. */
    private static final Map<String, String> NAMESPACES = new LinkedHashMap<>();

    static {
        NAMESPACES.put("http://tinyml-schema.org/networkschema#", NNET.NS);
        NAMESPACES.put("http://ureasoner.org/networkschema#", NNET.NS);
        NAMESPACES.put("http://w3id.org/tinyml-schema/neural-network-schema#", NNET.NS);
        NAMESPACES.put("http://schema.org/", SCHEMA.NS);
        NAMESPACES.put("https://w3id.org/s3n/", S3N.NS);
        NAMESPACES.put("https://www.w3.org/ns/ssn/systems/", SSNSystem.NS);
        NAMESPACES.put("https://www.w3.org/ns/ssn/", SSN.NS);
        NAMESPACES.put("https://www.w3.org/ns/sosa/", SOSA.NS);
        NAMESPACES.put("http://www.w3.org/2019/wot/td#", TD.NS);
    }

    private static final Property SSN_SYSTEM_HAS_CAPABILITY = SSNSystem.HAS_SYSTEM_CAPABILITY;
    /** The TinyML schema's relation from a sensor to the model input it provides ({@code ssn_extend:provideInput}). */
    private static final Property SSN_EXTEND_PROVIDE_INPUT = org.apache.jena.rdf.model.ResourceFactory.createProperty(
            "http://tinyml-schema.org/ssn_extend/provideInput");

    private final List<String> skipped = new ArrayList<>();
    private final List<String> devices = new ArrayList<>();
    private final List<String> models = new ArrayList<>();

    List<String> skipped() {
        return skipped;
    }

    List<String> devices() {
        return devices;
    }

    List<String> models() {
        return models;
    }

    void note(String line) {
        skipped.add(line);
    }

    /** Returns a new model: {@code in} with canonical namespaces plus the normalised {@code tf:} terms. */
    Model normalize(Model in) {
        Model m = rewriteNamespaces(in);
        for (Resource r : subjectsOfType(m, S3N.SMART_SENSOR, SOSA.PLATFORM, TD.THING)) {
            if (!r.hasProperty(RDF.type, TF.DEVICE)) {
                liftDevice(m, r);
            } else {
                devices.add(r.getURI());
            }
        }
        for (Resource r : subjectsOfType(m, NNET.NEURAL_NETWORK)) {
            if (!r.hasProperty(RDF.type, TF.MODEL_VERSION) && !r.hasProperty(TF.REQUIREMENT)) {
                liftModel(m, r);
            } else {
                models.add(r.getURI());
            }
        }
        return m;
    }

    private Model rewriteNamespaces(Model in) {
        Model out = ModelFactory.createDefaultModel();
        out.setNsPrefixes(in.getNsPrefixMap());
        Map<String, Integer> rewritten = new LinkedHashMap<>();
        in.getGraph().find().forEachRemaining(t -> out.getGraph().add(Triple.create(rewrite(t.getSubject(), rewritten),
                rewrite(t.getPredicate(), rewritten), rewrite(t.getObject(), rewritten))));
        rewritten.forEach((ns, n) -> note("rewrote " + n + " IRIs from namespace " + ns + " to " + NAMESPACES.get(ns)));
        for (Map.Entry<String, String> e : in.getNsPrefixMap().entrySet()) {
            String canonical = NAMESPACES.get(e.getValue());
            if (canonical != null) {
                out.setNsPrefix(e.getKey(), canonical);
            }
        }
        return out;
    }

    private static Node rewrite(Node n, Map<String, Integer> counts) {
        if (!n.isURI()) {
            return n;
        }
        String uri = n.getURI();
        for (Map.Entry<String, String> e : NAMESPACES.entrySet()) {
            if (uri.startsWith(e.getKey())) {
                counts.merge(e.getKey(), 1, Integer::sum);
                return NodeFactory.createURI(e.getValue() + uri.substring(e.getKey().length()));
            }
        }
        return n;
    }

    // ---- boards -------------------------------------------------------------------------------------------------

    private void liftDevice(Model m, Resource board) {
        String name = label(board);
        if (!board.isURIResource()) {
            note("board " + name + ": a blank node cannot be referenced by matchmaking; give it an IRI");
            return;
        }
        List<Resource> memory = new ArrayList<>();
        for (Resource mcu : objects(board, SSN.HAS_SUB_SYSTEM)) {
            if (isA(mcu, "MicroController")) {
                for (Resource cap : union(objects(mcu, S3N.HAS_SYSTEM_CAPABILITY), objects(mcu, SSN_SYSTEM_HAS_CAPABILITY))) {
                    memory.addAll(objects(cap, SSNSystem.HAS_SYSTEM_PROPERTY));
                }
            }
        }
        Map<String, Long> sizes = memorySizes(memory, name, SCHEMA.VALUE, SCHEMA.MAX_VALUE);
        Optional<Long> ram = Optional.ofNullable(sizes.get("RAM"));
        Optional<Long> flash = Optional.ofNullable(sizes.get("flash"));
        List<String> sensed = new ArrayList<>();
        for (Resource sub : objects(board, SSN.HAS_SUB_SYSTEM)) {
            if (isA(sub, "MicroController")) {
                continue;
            }
            for (Resource type : objects(sub, RDF.type)) {
                ObservableProperties.Reading reading = ObservableProperties.ofClass(type);
                if (reading instanceof ObservableProperties.Reading.Known k) {
                    sub.addProperty(SOSA.OBSERVES, m.createResource(Iris.property(k.property())));
                    board.addProperty(SOSA.HOSTS, sub).addProperty(TF.SENSES, m.createResource(Iris.property(k.property())));
                    sensed.add(k.property());
                    note("board " + name + ": subsystem type " + type.getLocalName() + " read as a sensor of " + k.property());
                } else if (reading instanceof ObservableProperties.Reading.Malformed bad) {
                    note("board " + name + ": subsystem type <" + type.getURI() + "> is malformed: " + bad.why()
                            + "; no sensor assumed");
                } else if (type.isURIResource()) {
                    note("board " + name + ": subsystem type " + type.getLocalName()
                            + " is not a sensor TinyFed knows; no observed property");
                }
            }
        }
        if (ram.isEmpty()) {
            note("board " + name + ": RAM unknown (missing or 0); kept, but not matchable");
            return;
        }
        board.addProperty(RDF.type, TF.DEVICE).addLiteral(TF.RAM_BYTES, Describe.integer(ram.get()))
                .addProperty(TF.DEVICE_ID, deviceId(board));
        flash.ifPresent(f -> board.addLiteral(TF.FLASH_BYTES, Describe.integer(f)));
        if (flash.isEmpty()) {
            note("board " + name + ": flash unknown (missing or 0); flash requirements are not checked against it");
        }
        // Published boards describe TFLite Micro targets: int8 and float32 kernels, not TinyFed's int16 runtime.
        board.addProperty(TF.SUPPORTS_FORMAT, TF.S8).addProperty(TF.SUPPORTS_FORMAT, TF.F32);
        note("board " + name + ": number formats not stated; assumed S8 and F32 (TFLite Micro kernels)");
        devices.add(board.getURI());
        if (sensed.isEmpty() && !board.hasProperty(SOSA.HOSTS)) {
            note("board " + name + ": no sensor recognised");
        }
    }

    private static String deviceId(Resource board) {
        String id = literal(board, SCHEMA.IDENTIFIER).orElse(board.getLocalName());
        if (id == null || id.isEmpty()) {
            id = Integer.toHexString(board.getURI().hashCode());
        }
        String clean = id.replaceAll("[^A-Za-z0-9._-]", "-");
        return clean.length() > 64 ? clean.substring(clean.length() - 64) : clean.replaceAll("^[._-]+", "");
    }

    // ---- models -------------------------------------------------------------------------------------------------

    private void liftModel(Model m, Resource model) {
        String name = label(model);
        List<Resource> conditions = new ArrayList<>();
        for (Resource feature : objects(model, S3N.HAS_PROCEDURE_FEATURE)) {
            conditions.addAll(objects(feature, SSNSystem.IN_CONDITION));
        }
        Map<String, Long> sizes = memorySizes(conditions, name, SCHEMA.MIN_VALUE, SCHEMA.VALUE);
        Optional<Long> ram = Optional.ofNullable(sizes.get("RAM"));
        Optional<Long> flash = Optional.ofNullable(sizes.get("flash"));
        Set<Resource> formats = new LinkedHashSet<>();
        for (Property p : List.of(NNET.INPUT_LAYER, NNET.MIDDLE_LAYER, NNET.OUTPUT_LAYER, NNET.HAS_LAYER)) {
            for (Resource layer : objects(model, p)) {
                for (Resource q : objects(layer, NNET.HAS_QUANTIZATION)) {
                    String local = q.isURIResource() ? q.getLocalName().toLowerCase(Locale.ROOT) : "";
                    switch (local) {
                        case "int8", "uint8" -> formats.add(TF.S8);
                        case "int16" -> formats.add(TF.S16);
                        case "float32" -> formats.add(TF.F32);
                        default -> { }
                    }
                }
            }
        }
        // A model whose weights are int8 anywhere needs int8 kernels; a float-only model runs in F32.
        Resource format = formats.contains(TF.S8) ? TF.S8 : formats.contains(TF.S16) ? TF.S16 : formats.isEmpty() ? null : TF.F32;
        if (ram.isEmpty()) {
            note("model " + name + ": RAM requirement unknown (missing or 0); kept, but not matchable");
            return;
        }
        if (format == null) {
            note("model " + name + ": no layer states a quantisation; assumed S8 (TFLite Micro)");
            format = TF.S8;
        }
        if (!model.isURIResource()) {
            note("model " + name + ": a blank node cannot be referenced by matchmaking; give it an IRI");
            return;
        }
        Set<String> required = new java.util.TreeSet<>();
        for (Resource input : objects(model, SSN.HAS_INPUT)) {
            for (Resource sensor : subjects(m, SSN_EXTEND_PROVIDE_INPUT, input)) {
                for (Resource type : objects(sensor, RDF.type)) {
                    ObservableProperties.Reading reading = ObservableProperties.ofClass(type);
                    if (reading instanceof ObservableProperties.Reading.Known k) {
                        required.add(k.property());
                        note("model " + name + ": its input is provided by a " + type.getLocalName()
                                + ", read as requiring a sensor of " + k.property());
                    } else if (reading instanceof ObservableProperties.Reading.Malformed bad) {
                        note("model " + name + ": the class <" + type.getURI() + "> of the sensor providing its input "
                                + "is malformed: " + bad.why() + "; kept, but not matchable until the sensor is known");
                        return;
                    } else if (type.isURIResource() && !SOSA.SENSOR.equals(type)) {
                        note("model " + name + ": its input is provided by a " + type.getLocalName() + ", not a sensor "
                                + "TinyFed knows; kept, but not matchable until the sensor is known");
                        return;
                    }
                }
            }
        }
        required.forEach(p -> model.addProperty(TF.REQUIRES_PROPERTY, m.createResource(Iris.property(p))));
        // An IRI, not a blank node: matchmaking joins facts about requirements across result sets.
        Resource req = m.createResource(model.getURI() + "#tinyfed-requirement").addProperty(RDF.type, TF.RESOURCE_REQUIREMENT).addProperty(TF.FORMAT, format)
                .addLiteral(TF.INFERENCE_ARENA_BYTES, Describe.integer(ram.get()));
        flash.ifPresent(f -> req.addLiteral(TF.FLASH_BYTES, Describe.integer(f)));
        model.addProperty(TF.REQUIREMENT, req);
        models.add(model.getURI());
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /** Known byte sizes by kind ("RAM", "flash") among memory property or condition nodes; unknown ones are absent. */
    private Map<String, Long> memorySizes(List<Resource> nodes, String owner, Property... valueProperties) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (Resource node : nodes) {
            String kind = memoryKind(node);
            bytes(node, owner, kind, valueProperties).ifPresent(b -> sizes.put(kind, b));
        }
        return sizes;
    }

    /** "RAM", "flash" or null, from the node's class local names and labels (RAM, Flash, s3n:Memory + "RAM ..."). */
    private static String memoryKind(Resource r) {
        StringBuilder text = new StringBuilder();
        for (Resource t : objects(r, RDF.type)) {
            if (t.isURIResource()) {
                text.append(' ').append(t.getLocalName());
            }
        }
        literal(r, RDFS.comment).ifPresent(c -> text.append(' ').append(c));
        literal(r, RDFS.label).ifPresent(c -> text.append(' ').append(c));
        String s = text.toString().toLowerCase(Locale.ROOT);
        if (s.contains("flash") || s.contains("rom")) {
            return "flash";
        }
        if (s.contains("ram") || s.contains("memory")) {
            return "RAM";
        }
        return null;
    }

    /** A byte count from the first of {@code props} that holds a positive number, scaled by schema:unitCode. */
    private Optional<Long> bytes(Resource r, String owner, String kind, Property... props) {
        if (kind == null) {
            return Optional.empty();
        }
        for (Property p : props) {
            Statement s = r.getProperty(p);
            if (s == null || !s.getObject().isLiteral()) {
                continue;
            }
            double v;
            try {
                // Published files write numbers as strings ("20") as often as typed literals.
                v = Double.parseDouble(s.getLiteral().getLexicalForm().trim());
            } catch (NumberFormatException e) {
                note(owner + ": " + kind + " value '" + s.getLiteral().getLexicalForm() + "' is not a number");
                return Optional.empty();
            }
            if (!(v > 0)) {
                return Optional.empty();
            }
            return Optional.of(Math.round(v * unitBytes(r, owner, kind)));
        }
        return Optional.empty();
    }

    private long unitBytes(Resource r, String owner, String kind) {
        Statement unit = r.getProperty(SCHEMA.UNIT_CODE);
        String u = unit == null ? "" : unit.getObject().isURIResource() ? unit.getResource().getLocalName()
                : unit.getObject().isLiteral() ? unit.getObject().asLiteral().getLexicalForm() : "(a blank node)";
        u = u.toLowerCase(Locale.ROOT).replace("om:", "");
        switch (u) {
            case "byte", "b" -> {
                return 1;
            }
            case "kibibyte", "kib" -> {
                return 1024;
            }
            case "kilobyte", "kb" -> {
                note(owner + ": " + kind + " in kilobytes read as " + kilobyte + " bytes each ("
                        + (kilobyte == 1024 ? "the datasheet convention for MCU memory; import with --kilobyte 1000 if "
                        + "this source writes size/1000" : "--kilobyte 1000: this source writes size/1000") + ")");
                return kilobyte;
            }
            case "mebibyte", "mib" -> {
                return 1024 * 1024;
            }
            case "megabyte", "mb" -> {
                return kilobyte * kilobyte;
            }
            default -> {
                note(owner + ": " + kind + " unit '" + u + "' unknown; read as kilobytes of " + kilobyte + " bytes");
                return kilobyte;
            }
        }
    }

    private static boolean isA(Resource r, String localName) {
        for (Resource t : objects(r, RDF.type)) {
            if (t.isURIResource() && localName.equalsIgnoreCase(t.getLocalName())) {
                return true;
            }
        }
        return false;
    }

    private static List<Resource> subjectsOfType(Model m, Resource... types) {
        Set<Resource> out = new LinkedHashSet<>();
        for (Resource t : types) {
            m.listSubjectsWithProperty(RDF.type, t).forEachRemaining(out::add);
        }
        return new ArrayList<>(out);
    }

    /** Subjects of {@code p} whose object is {@code o}. */
    private static List<Resource> subjects(Model m, Property p, Resource o) {
        List<Resource> out = new ArrayList<>();
        m.listSubjectsWithProperty(p, o).forEachRemaining(out::add);
        return out;
    }

    private static List<Resource> objects(Resource r, Property p) {
        List<Resource> out = new ArrayList<>();
        r.listProperties(p).forEachRemaining(s -> {
            RDFNode o = s.getObject();
            if (o.isResource()) {
                out.add(o.asResource());
            }
        });
        return out;
    }

    private static List<Resource> union(List<Resource> a, List<Resource> b) {
        List<Resource> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static Optional<String> literal(Resource r, Property p) {
        Statement s = r.getProperty(p);
        if (s == null || !s.getObject().isLiteral()) {
            return Optional.empty();
        }
        Literal l = s.getLiteral();
        return Optional.of(l.getLexicalForm());
    }

    private static String label(Resource r) {
        return literal(r, SCHEMA.NAME).or(() -> literal(r, TD.TITLE)).orElse(r.isURIResource() ? r.getURI() : r.toString());
    }
}
