package io.tinyfed.registry.internal;

import io.tinyfed.registry.DeviceMatch;
import io.tinyfed.registry.Iris;
import io.tinyfed.registry.ModelMatch;
import io.tinyfed.registry.Purpose;
import io.tinyfed.registry.vocabulary.TF;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.jena.graph.Node;
import org.apache.jena.sparql.engine.binding.Binding;

/**
 * Everything matchmaking reads, held in memory and valid for one state of the store: built from two
 * scans ({@code device-index.rq}, {@code requirement-index.rq}) and answering devices-for-model,
 * models-for-device and client selection without a query. {@link JenaRegistry} keeps one per store
 * state and drops it at the next write transaction, whoever makes it (facade or SPARQL endpoint).
 * The rules are the same as the per-call fact queries': see {@link #fit} and {@link #better}.
 */
final class MatchIndex {
    private static final String[] FORMATS = {TF.F32.getURI(), TF.S16.getURI(), TF.S8.getURI()};

    /** One requirement of a model, for one purpose. */
    record Need(String format, int formatBit, long bytes, Integer layers, long flash, boolean estimated) {
    }

    /** What matchmaking knows about one device. */
    static final class Device {
        long ram = -1;
        long flash = Long.MAX_VALUE; // not stated: not excluded
        int formats;
        Set<String> senses = Set.of();
        boolean online;
        String fleet;

        /** Takes one fact of {@code device-index.rq} ({@code ram}, {@code flash}, {@code format}, ...). */
        void add(String fact, Node v) {
            switch (fact) {
                case "ram" -> ram = longOf(v);
                case "flash" -> flash = longOf(v);
                case "format" -> formats |= formatBit(v.getURI());
                case "senses" -> {
                    if (senses.isEmpty()) {
                        senses = new HashSet<>();
                    }
                    senses.add(v.getURI());
                }
                case "online" -> online = Boolean.parseBoolean(v.getLiteralLexicalForm());
                case "fleet" -> fleet = v.getLiteralLexicalForm();
                default -> throw new IllegalStateException("unexpected fact " + fact);
            }
        }
    }

    private static final class Requirement {
        long inference = -1;
        long training = -1;
        String format;
        Integer layers;
        long flash;
        boolean estimated;
    }

    private final long mark;
    private final Map<String, Device> devices = new HashMap<>(16384);
    private final Map<String, Requirement> requirements = new HashMap<>();
    private final Map<String, List<String>> requirementsOf = new HashMap<>();
    private final Map<String, Set<String>> requires = new HashMap<>();
    private final Map<String, String> names = new HashMap<>();

    private MatchIndex(long mark) {
        this.mark = mark;
    }

    /** The store state (count of write transactions begun) this index reflects. */
    long mark() {
        return mark;
    }

    /** The local names ({@code F32}, {@code S16}, {@code S8}) of the formats set in {@code bits}, comma-separated. */
    static String formatNames(int bits) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < FORMATS.length; i++) {
            if ((bits & (1 << i)) != 0) {
                names.add(localName(FORMATS[i]));
            }
        }
        return String.join(", ", names);
    }

    static int formatBit(String iri) {
        for (int i = 0; i < FORMATS.length; i++) {
            if (FORMATS[i].equals(iri)) {
                return 1 << i;
            }
        }
        return 0;
    }

    /** Training prefers more trainable layers, then the smaller arena; inference the smaller arena. */
    static boolean better(Integer layers, long need, Integer currentLayers, long currentNeed) {
        int l = layers == null ? 0 : layers;
        int c = currentLayers == null ? 0 : currentLayers;
        return l != c ? l > c : need < currentNeed;
    }

    /** Sorts needs so that the preferred comes first. */
    static void prefer(List<Need> needs) {
        needs.sort((a, b) -> better(a.layers(), a.bytes(), b.layers(), b.bytes()) ? -1
                : better(b.layers(), b.bytes(), a.layers(), a.bytes()) ? 1 : 0);
    }

    /** The preferred need the device meets, or null. */
    static Need fit(long ram, long flash, int formats, boolean senses, List<Need> needs) {
        if (ram < 0 || !senses) {
            return null;
        }
        for (Need n : needs) {
            if ((formats & n.formatBit()) != 0 && ram >= n.bytes() && flash >= n.flash()) {
                return n;
            }
        }
        return null;
    }

    /**
     * Builds an index from the two scans; {@code scan} runs a shipped query and streams its rows.
     * The scans run concurrently (two cores); the caller checks that no write happened meanwhile.
     */
    static MatchIndex build(long mark, BiConsumer<String, java.util.function.Consumer<Binding>> scan,
                            java.util.function.BiConsumer<Runnable, Runnable> both) {
        MatchIndex index = new MatchIndex(mark);
        Map<String, Device> all = new HashMap<>(16384);
        both.accept(() -> scan.accept("device-index.rq", row -> {
            all.computeIfAbsent(key(row.get("subject")), k -> new Device())
                    .add(row.get("fact").getLiteralLexicalForm(), row.get("value"));
        }), () -> scan.accept("requirement-index.rq", row -> {
            String subject = key(row.get("subject"));
            Node v = row.get("value");
            String fact = row.get("fact").getLiteralLexicalForm();
            switch (fact) {
                case "model" -> index.requirementsOf.computeIfAbsent(key(v), k -> new ArrayList<>()).add(subject);
                case "requires" -> index.requires.computeIfAbsent(subject, k -> new HashSet<>()).add(v.getURI());
                case "name" -> index.names.put(subject, v.getLiteralLexicalForm());
                default -> {
                    Requirement r = index.requirements.computeIfAbsent(subject, k -> new Requirement());
                    switch (fact) {
                        case "inference" -> r.inference = longOf(v);
                        case "training" -> r.training = longOf(v);
                        case "format" -> r.format = v.getURI();
                        case "layers" -> r.layers = (int) longOf(v);
                        case "flash" -> r.flash = longOf(v);
                        case "estimated" -> r.estimated = Boolean.parseBoolean(v.getLiteralLexicalForm());
                        default -> throw new IllegalStateException("unexpected fact " + fact);
                    }
                }
            }
        }));
        all.forEach((k, d) -> {
            if (d.ram >= 0 && d.formats != 0) { // requirements state flash too; devices have RAM and formats
                index.devices.put(k, d);
            }
        });
        return index;
    }

    /** The model's needs for a purpose, preferred first. */
    List<Need> needs(String model, Purpose purpose) {
        List<Need> out = new ArrayList<>();
        for (String key : requirementsOf.getOrDefault(model, List.of())) {
            Requirement r = requirements.get(key);
            if (r == null || r.format == null) {
                continue;
            }
            long bytes = purpose == Purpose.TRAINING ? r.training : r.inference;
            if (bytes < 0) {
                continue;
            }
            out.add(new Need(r.format, formatBit(r.format), bytes, purpose == Purpose.TRAINING ? r.layers : null, r.flash,
                    r.estimated));
        }
        prefer(out);
        return out;
    }

    List<DeviceMatch> devicesFor(String model, Purpose purpose) {
        List<Need> needs = needs(model, purpose);
        Set<String> required = requires.getOrDefault(model, Set.of());
        List<DeviceMatch> out = new ArrayList<>();
        if (needs.isEmpty()) {
            return out;
        }
        devices.forEach((iri, d) -> {
            Need n = fit(d.ram, d.flash, d.formats, d.senses.containsAll(required), needs);
            if (n != null) {
                out.add(new DeviceMatch(iri, localName(n.format()), n.bytes(), d.ram, n.layers(), n.estimated()));
            }
        });
        out.sort((a, b) -> a.deviceIri().compareTo(b.deviceIri()));
        return out;
    }

    List<String> eligibleForTraining(String fleet, String version) {
        List<Need> needs = needs(version, Purpose.TRAINING);
        Set<String> required = requires.getOrDefault(version, Set.of());
        List<String> ids = new ArrayList<>();
        if (needs.isEmpty()) {
            return ids;
        }
        devices.forEach((iri, d) -> {
            String id = Iris.deviceId(iri);
            if (d.online && fleet.equals(d.fleet) && id != null
                    && fit(d.ram, d.flash, d.formats, d.senses.containsAll(required), needs) != null) {
                ids.add(id);
            }
        });
        ids.sort(null);
        return ids;
    }

    List<ModelMatch> modelsFor(String deviceIri, Purpose purpose) {
        Device d = devices.get(deviceIri);
        List<ModelMatch> out = new ArrayList<>();
        if (d == null) {
            return out;
        }
        Map<String, ModelMatch> best = new LinkedHashMap<>();
        requirementsOf.forEach((model, reqs) -> {
            if (!d.senses.containsAll(requires.getOrDefault(model, Set.of()))) {
                return;
            }
            Need n = fit(d.ram, d.flash, d.formats, true, needs(model, purpose));
            if (n != null) {
                best.put(model, new ModelMatch(model, names.get(model), localName(n.format()), n.bytes(), n.layers(),
                        n.estimated()));
            }
        });
        out.addAll(best.values());
        out.sort((a, b) -> a.modelIri().compareTo(b.modelIri()));
        return out;
    }

    static String key(Node n) {
        return n.isURI() ? n.getURI() : "_:" + n.getBlankNodeLabel();
    }

    static long longOf(Node n) {
        Object v = n.getLiteralValue();
        return v instanceof Number num ? num.longValue() : Long.parseLong(n.getLiteralLexicalForm());
    }

    static String localName(String iri) {
        int i = iri.lastIndexOf('#');
        return i < 0 ? iri : iri.substring(i + 1);
    }
}
