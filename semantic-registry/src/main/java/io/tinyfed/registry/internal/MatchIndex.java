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
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.apache.jena.graph.Node;
import org.apache.jena.sparql.engine.binding.Binding;

/**
 * Everything matchmaking reads, held in memory and valid for one state of the store: built from two
 * scans ({@code device-index.rq}, {@code requirement-index.rq}) and answering devices-for-model,
 * models-for-device and client selection without a query. {@link JenaRegistry} keeps it current
 * through its own writes by applying each write's delta ({@link #replace}, {@link #setOnline},
 * {@link #remove}: the same two queries run over just the written graphs), and drops it when anyone
 * else writes (the SPARQL endpoint, an import). Readers see a device or a model either before or after
 * a delta, never half of one: entries are replaced, not changed in place. The rules are the same as
 * the per-call fact queries': see {@link #fit} and {@link #better}.
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

        /** A copy with another online state (published devices are never changed in place). */
        Device withOnline(boolean now) {
            Device d = new Device();
            d.ram = ram;
            d.flash = flash;
            d.formats = formats;
            d.senses = senses;
            d.online = now;
            d.fleet = fleet;
            return d;
        }

        boolean matchable() {
            return ram >= 0 && formats != 0; // requirements state flash too; devices have RAM and formats
        }

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

    private volatile long mark;
    private final Map<String, Device> devices = new ConcurrentHashMap<>(16384);
    private final Map<String, Requirement> requirements = new ConcurrentHashMap<>();
    private final Map<String, List<String>> requirementsOf = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> requires = new ConcurrentHashMap<>();
    private final Map<String, String> names = new ConcurrentHashMap<>();

    private MatchIndex(long mark) {
        this.mark = mark;
    }

    /** The store state (count of write transactions begun) this index reflects. */
    long mark() {
        return mark;
    }

    /** Declares the index current for store state {@code now}, once a write's delta is applied. */
    void advance(long now) {
        mark = now;
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
        Facts facts = new Facts();
        both.accept(() -> scan.accept("device-index.rq", row -> addDeviceFact(all, row)),
                () -> scan.accept("requirement-index.rq", facts::add));
        all.forEach((k, d) -> {
            if (d.matchable()) {
                index.devices.put(k, d);
            }
        });
        facts.into(index);
        return index;
    }

    private static void addDeviceFact(Map<String, Device> devices, Binding row) {
        devices.computeIfAbsent(key(row.get("subject")), k -> new Device())
                .add(row.get("fact").getLiteralLexicalForm(), row.get("value"));
    }

    /** Rows of {@code requirement-index.rq}, gathered before they enter an index. */
    static final class Facts {
        private final Map<String, List<String>> requirementsOf = new HashMap<>();
        private final Map<String, Set<String>> requires = new HashMap<>();
        private final Map<String, String> names = new HashMap<>();
        private final Map<String, Requirement> requirements = new HashMap<>();

        void add(Binding row) {
            String subject = key(row.get("subject"));
            Node v = row.get("value");
            String fact = row.get("fact").getLiteralLexicalForm();
            switch (fact) {
                case "model" -> requirementsOf.computeIfAbsent(key(v), k -> new ArrayList<>()).add(subject);
                case "requires" -> requires.computeIfAbsent(subject, k -> new HashSet<>()).add(v.getURI());
                case "name" -> names.put(subject, v.getLiteralLexicalForm());
                default -> {
                    Requirement r = requirements.computeIfAbsent(subject, k -> new Requirement());
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
        }

        /** Whether these facts are only about {@code models} and the requirements that belong to them. */
        boolean onlyAbout(Set<String> models) {
            Set<String> owned = new HashSet<>();
            requirementsOf.forEach((model, reqs) -> {
                if (models.contains(model)) {
                    owned.addAll(reqs);
                }
            });
            owned.addAll(models); // a device's flash reads as a requirement fact of the device: about it too
            return models.containsAll(requirementsOf.keySet()) && models.containsAll(requires.keySet())
                    && models.containsAll(names.keySet()) && owned.containsAll(requirements.keySet());
        }

        void into(MatchIndex index) {
            index.requirements.putAll(requirements);
            requires.forEach((k, v) -> index.requires.put(k, Set.copyOf(v)));
            index.names.putAll(names);
            requirementsOf.forEach((k, v) -> index.requirementsOf.put(k, List.copyOf(v)));
        }
    }

    /**
     * Applies a write that replaced the named graphs {@code graphs} (a device's graph is named by its
     * IRI, a model version's by its IRI) with content whose facts are {@code deviceRows} and
     * {@code requirementFacts}. Returns false, changing nothing, when the facts are about anything else
     * (the caller then drops the index).
     */
    boolean replace(Set<String> graphs, List<Binding> deviceRows, Facts requirementFacts) {
        Map<String, Device> written = new HashMap<>();
        for (Binding row : deviceRows) {
            addDeviceFact(written, row);
        }
        Set<String> requirementSubjects = new HashSet<>();
        requirementFacts.requirementsOf.values().forEach(requirementSubjects::addAll);
        for (String subject : written.keySet()) {
            // requirements state flash too: those subjects are the models' requirements, not devices
            if (!graphs.contains(subject) && !requirementSubjects.contains(subject)) {
                return false;
            }
        }
        if (!requirementFacts.onlyAbout(graphs)) {
            return false;
        }
        for (String g : graphs) {
            devices.remove(g);
            List<String> old = requirementsOf.remove(g);
            if (old != null) {
                old.forEach(requirements::remove);
            }
            requires.remove(g);
            names.remove(g);
            requirements.remove(g);
        }
        written.forEach((k, d) -> {
            if (d.matchable() && graphs.contains(k)) {
                devices.put(k, d);
            }
        });
        // Requirements before the lists that name them: a reader finds every requirement a model lists.
        requirementFacts.into(this);
        return true;
    }

    /** Applies a change of devices' online state. */
    void setOnline(Map<String, Boolean> online) {
        online.forEach((iri, now) -> devices.computeIfPresent(iri, (k, d) -> d.withOnline(now)));
    }

    /** Applies the removal of devices. */
    void remove(java.util.Collection<String> deviceIris) {
        deviceIris.forEach(devices::remove);
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
