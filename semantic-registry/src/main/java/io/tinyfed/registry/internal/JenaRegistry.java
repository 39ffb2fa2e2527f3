package io.tinyfed.registry.internal;

import io.tinyfed.registry.RegistryInUseException;
import io.tinyfed.registry.DeploymentRecord;
import io.tinyfed.registry.RefusalRecord;
import io.tinyfed.registry.RolloutRecord;
import io.tinyfed.registry.DeviceDescription;
import io.tinyfed.registry.DeviceMatch;
import io.tinyfed.registry.ImportReport;
import io.tinyfed.registry.InvalidDescriptionException;
import io.tinyfed.registry.Iris;
import io.tinyfed.registry.ModelMatch;
import io.tinyfed.registry.ModelVersionDescription;
import io.tinyfed.registry.Presence;
import io.tinyfed.registry.Purpose;
import io.tinyfed.registry.QueryTable;
import io.tinyfed.registry.Registry;
import io.tinyfed.registry.RegistryException;
import io.tinyfed.registry.RoundRecord;
import io.tinyfed.registry.UnknownEntityException;
import io.tinyfed.registry.importer.Importers;
import io.tinyfed.registry.internal.MatchIndex.Need;
import io.tinyfed.registry.vocabulary.TF;
import java.net.Authenticator;
import java.net.PasswordAuthentication;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.query.DatasetFactory;
import org.apache.jena.query.ParameterizedSparqlString;
import org.apache.jena.query.Query;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.ResultSetFactory;
import org.apache.jena.query.ResultSetRewindable;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdfconnection.RDFConnection;
import org.apache.jena.rdfconnection.RDFConnectionRemote;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.modify.request.QuadDataAcc;
import org.apache.jena.sparql.modify.request.UpdateDataInsert;
import org.apache.jena.sparql.modify.request.UpdateDrop;
import org.apache.jena.tdb2.DatabaseMgr;
import org.apache.jena.tdb2.TDB2;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.apache.jena.update.UpdateRequest;

/**
 * The registry over a Jena {@link RDFConnection}: a local TDB2 dataset or a remote SPARQL endpoint.
 * Writes are one SPARQL update request each (atomic on TDB2 and on any SPARQL 1.1 store that runs
 * a request in one transaction, as Fuseki does), validated before they are sent.
 */
public final class JenaRegistry implements Registry {
    private final RDFConnection connection;
    /** Set by {@link #close}: later calls fail with a clear message instead of touching released files. */
    private volatile boolean closed;
    private final DatasetGraph local;
    private final boolean ownsLocal;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    /** Matchmaking's in-memory index for one store state; see {@link MatchIndex}. */
    private volatile MatchIndex index;
    private volatile boolean indexEnabled = true;
    private final java.util.concurrent.atomic.AtomicBoolean rebuilding = new java.util.concurrent.atomic.AtomicBoolean();
    private static final long QUIET_NANOS = 250_000_000L;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
    private volatile long lastMark = -1;
    private volatile long lastMarkSeen;
    private static final System.Logger LOG = System.getLogger(JenaRegistry.class.getName());

    private JenaRegistry(RDFConnection conn, DatasetGraph local, boolean ownsLocal) {
        this.connection = conn;
        this.local = local;
        this.ownsLocal = ownsLocal;
    }

    public static JenaRegistry embedded(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (java.io.IOException e) {
            throw new RegistryException("cannot create registry directory " + directory + ": " + e.getMessage(), e);
        }
        try {
            return local(DatabaseMgr.connectDatasetGraph(directory.toString()), true);
        } catch (org.apache.jena.dboe.DBOpEnvException e) {
            java.util.regex.Matcher holder = java.util.regex.Pattern.compile("held by process (\\d+)")
                    .matcher(String.valueOf(e.getMessage()));
            throw new RegistryInUseException("registry " + directory + " is in use by "
                    + (holder.find() ? "process " + holder.group(1) : "another process")
                    + " (a coordinator or 'tinyfed registry serve'); stop it, or reach the registry through its "
                    + "SPARQL endpoint", e);
        }
    }

    public static JenaRegistry inMemory() {
        return local(DatabaseMgr.createDatasetGraph(), false);
    }

    private static JenaRegistry local(DatasetGraph dsg, boolean owns) {
        // Ad-hoc queries (CLI, SPARQL endpoint) see every description in the default graph.
        dsg.getContext().set(TDB2.symUnionDefaultGraph, true);
        return new JenaRegistry(RDFConnection.connect(DatasetFactory.wrap(dsg)), dsg, owns);
    }

    public static JenaRegistry remote(String datasetUrl, String user, char[] password) {
        String base = datasetUrl.endsWith("/") ? datasetUrl.substring(0, datasetUrl.length() - 1) : datasetUrl;
        return remote(base + "/query", base + "/update", user, password);
    }

    public static JenaRegistry remote(String queryUrl, String updateUrl, String user, char[] password) {
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (user != null) {
            char[] secret = password.clone();
            http.authenticator(new Authenticator() {
                @Override
                protected PasswordAuthentication getPasswordAuthentication() {
                    return new PasswordAuthentication(user, secret);
                }
            });
        }
        RDFConnection c = RDFConnectionRemote.newBuilder().queryEndpoint(queryUrl).updateEndpoint(updateUrl)
                .httpClient(http.build()).build();
        return new JenaRegistry(c, null, false);
    }

    // ---- writes -------------------------------------------------------------------------------------------------

    @Override
    public void registerDevice(DeviceDescription device) {
        replaceGraph("device " + device.deviceId(), device.iri(), Describe.device(device));
    }

    @Override
    public void registerDevices(List<DeviceDescription> devices) {
        List<Map.Entry<String, Model>> graphs = new ArrayList<>();
        for (DeviceDescription d : devices) {
            graphs.add(Map.entry(d.iri(), Describe.device(d)));
        }
        replaceGraphs(devices.size() + " devices", graphs);
    }

    @Override
    public void registerModelVersions(List<ModelVersionDescription> versions) {
        List<Map.Entry<String, Model>> graphs = new ArrayList<>();
        for (ModelVersionDescription v : versions) {
            graphs.add(Map.entry(v.iri(), Describe.modelVersion(v)));
        }
        replaceGraphs(versions.size() + " model versions", graphs);
    }

    @Override
    public void setOnline(String fleet, String deviceId, boolean online, Instant at) {
        String iri = Iris.device(fleet, deviceId);
        requireExists(iri, TF.DEVICE, "device " + deviceId + " of fleet " + fleet);
        write(setOnlineUpdate(iri, online, at), index -> {
            index.setOnline(Map.of(iri, online));
            return true;
        });
    }

    @Override
    public List<String> setOnline(String fleet, List<Presence> changes) {
        List<String> unknown = new ArrayList<>();
        Map<String, Boolean> online = new LinkedHashMap<>();
        Map<String, Presence> last = new LinkedHashMap<>();
        java.util.Set<String> known = existing(changes.stream().map(p -> Iris.device(fleet, p.deviceId())).toList(),
                TF.DEVICE);
        for (Presence p : changes) {
            String iri = Iris.device(fleet, p.deviceId());
            if (!known.contains(iri)) {
                unknown.add(p.deviceId());
                continue;
            }
            last.put(iri, p); // of several changes of one device, the last one holds
            online.put(iri, p.online());
        }
        if (!last.isEmpty()) {
            // one parsed update for the whole batch: parsing one per device cost more than writing them
            ParameterizedSparqlString u = Resources.sparql("set-online-many.ru");
            List<List<? extends org.apache.jena.rdf.model.RDFNode>> rows = new ArrayList<>();
            last.forEach((iri, p) -> rows.add(List.of(org.apache.jena.rdf.model.ResourceFactory.createResource(iri),
                    org.apache.jena.rdf.model.ResourceFactory.createTypedLiteral(p.online()),
                    Describe.dateTime(p.at()))));
            u.setRowValues("changes", rows);
            UpdateRequest request = u.asUpdate();
            write(request, index -> {
                index.setOnline(online);
                return true;
            });
        }
        refused.addAndGet(unknown.size());
        return unknown;
    }

    @Override
    public List<String> removeDevices(String fleet, List<String> deviceIds) {
        List<String> removed = new ArrayList<>();
        UpdateRequest request = new UpdateRequest();
        java.util.Set<String> known = existing(deviceIds.stream().map(id -> Iris.device(fleet, id)).toList(), TF.DEVICE);
        for (String id : new java.util.LinkedHashSet<>(deviceIds)) {
            String iri = Iris.device(fleet, id);
            if (!known.contains(iri)) {
                continue;
            }
            ParameterizedSparqlString u = Resources.sparql("remove-device.ru");
            u.setIri("device", iri);
            u.setIri("refusal", Iris.refusal(fleet, id));
            u.asUpdate().getOperations().forEach(request::add);
            removed.add(id);
        }
        if (!request.getOperations().isEmpty()) {
            List<String> iris = removed.stream().map(id -> Iris.device(fleet, id)).toList();
            write(request, index -> {
                index.remove(iris);
                return true;
            });
        }
        return removed;
    }

    @Override
    public List<String> devicesNotSeenSince(String fleet, Instant before) {
        ParameterizedSparqlString q = Resources.sparql("devices-not-seen-since.rq");
        q.setLiteral("fleet", fleet);
        q.setLiteral("before", before.toString());
        return run(q.asQuery()).rows().stream().map(r -> r.get("deviceId")).toList();
    }

    private static UpdateRequest setOnlineUpdate(String deviceIri, boolean online, Instant at) {
        ParameterizedSparqlString u = Resources.sparql("set-online.ru");
        u.setIri("device", deviceIri);
        u.setLiteral("online", online);
        u.setParam("at", Describe.dateTime(at).asNode());
        return u.asUpdate();
    }

    @Override
    public void registerModelVersion(ModelVersionDescription version) {
        replaceGraph("model " + version.modelId() + " v" + version.version(), version.iri(), Describe.modelVersion(version));
    }

    @Override
    public void recordRound(RoundRecord round) {
        requireExists(Iris.version(round.modelId(), round.baseVersion()), TF.MODEL_VERSION,
                "base version " + round.baseVersion() + " of " + round.modelId());
        if (round.producedVersion() != null) {
            requireExists(Iris.version(round.modelId(), round.producedVersion()), TF.MODEL_VERSION,
                    "produced version " + round.producedVersion() + " of " + round.modelId());
        }
        java.util.Set<String> known = existing(round.participants().stream().map(id -> Iris.device(round.fleet(), id))
                .toList(), TF.DEVICE);
        for (String id : round.participants()) {
            String iri = Iris.device(round.fleet(), id);
            if (!known.contains(iri)) {
                throw unknown(iri, "participant " + id);
            }
        }
        replaceGraph("round " + round.round() + " of " + round.modelId(), round.iri(), Describe.round(round));
    }

    @Override
    public void recordDeployment(DeploymentRecord d) {
        recordDeployments(List.of(d));
    }

    @Override
    public void recordDeployments(List<DeploymentRecord> deployments) {
        // One graph per record IRI: of several reports about the same device and rollout, the last one counts.
        Map<String, DeploymentRecord> latest = new java.util.LinkedHashMap<>();
        for (DeploymentRecord d : deployments) {
            latest.remove(d.iri());
            latest.put(d.iri(), d);
        }
        List<Map.Entry<String, Model>> graphs = new ArrayList<>();
        java.util.Set<String> devices = existing(latest.values().stream().map(d -> Iris.device(d.fleet(), d.deviceId()))
                .toList(), TF.DEVICE);
        java.util.Set<String> versions = existing(latest.values().stream().map(d -> Iris.version(d.modelId(), d.version()))
                .toList(), TF.MODEL_VERSION);
        for (DeploymentRecord d : latest.values()) {
            if (!devices.contains(Iris.device(d.fleet(), d.deviceId()))) {
                throw unknown(Iris.device(d.fleet(), d.deviceId()), "device " + d.deviceId());
            }
            if (!versions.contains(Iris.version(d.modelId(), d.version()))) {
                throw unknown(Iris.version(d.modelId(), d.version()), "version " + d.version() + " of " + d.modelId());
            }
            graphs.add(Map.entry(d.iri(), Describe.deployment(d)));
        }
        if (!graphs.isEmpty()) {
            replaceGraphs(graphs.size() + " deployment records", graphs);
        }
    }

    @Override
    public void recordRollout(RolloutRecord r) {
        requireExists(Iris.version(r.modelId(), r.version()), TF.MODEL_VERSION, "version " + r.version() + " of " + r.modelId());
        replaceGraph("rollout " + r.rolloutId(), r.iri(), Describe.rollout(r));
    }

    @Override
    public void recordRefusal(RefusalRecord r) {
        requireExists(Iris.device(r.fleet(), r.deviceId()), TF.DEVICE, "device " + r.deviceId());
        replaceGraph("refusal of " + r.deviceId(), r.iri(), Describe.refusal(r));
    }

    @Override
    public ImportReport importFile(Path file, io.tinyfed.registry.ImportOptions options) {
        Importers.Result r = read(file, options);
        String path = file.toAbsolutePath().normalize().toString();
        String graph = Iris.importGraph(path);
        ParameterizedSparqlString twins = Resources.sparql("imports-with-hash.rq");
        twins.setLiteral("sha256", r.sha256());
        boolean replacing = false;
        for (Map<String, String> row : run(twins.asQuery()).rows()) {
            if (row.get("graph").equals(graph)) {
                replacing = true;
            } else {
                return new ImportReport(file.toString(), row.get("graph"), 0, List.of(), List.of(),
                        List.of("byte-identical to " + row.get("path") + ", imported before: not imported again"),
                        ImportReport.Outcome.DUPLICATE, row.get("path"));
            }
        }
        replacing |= !graph(graph).isEmpty();
        Model data = org.apache.jena.rdf.model.ModelFactory.createDefaultModel().add(r.model());
        List<String> notes = new ArrayList<>(r.skipped());
        linkSameModels(data, r.models(), notes);
        data.createResource(graph).addProperty(org.apache.jena.vocabulary.RDF.type, TF.IMPORT)
                .addProperty(TF.IMPORTED_FROM, path).addProperty(TF.CONTENT_SHA256, r.sha256());
        replaceGraph(file.toString(), graph, data);
        return new ImportReport(file.toString(), graph, r.model().size(), r.devices(), r.models(), notes,
                replacing ? ImportReport.Outcome.REPLACED : ImportReport.Outcome.IMPORTED, null);
    }

    /**
     * One model imported twice (its published description and its {@code .tflite} file) is recognised by a shared
     * identifier (e.g. {@code sha256:...}) or, failing that, by its name (case and punctuation aside), and linked with
     * {@code owl:sameAs}; each keeps its own requirement, and the link is reported.
     */
    private void linkSameModels(Model data, List<String> imported, List<String> notes) {
        if (imported.isEmpty()) {
            return;
        }
        Map<String, String> byName = new java.util.HashMap<>();
        Map<String, String> byIdentifier = new java.util.HashMap<>();
        select("model-identities.rq", Map.of(), row -> {
            String model = row.get("model").isURI() ? row.get("model").getURI() : null;
            if (model == null) {
                return;
            }
            if (row.contains("name")) {
                byName.putIfAbsent(sameName(row.get("name").getLiteralLexicalForm()), model);
            }
            if (row.contains("identifier")) {
                byIdentifier.putIfAbsent(row.get("identifier").getLiteralLexicalForm(), model);
            }
        });
        for (String iri : imported) {
            org.apache.jena.rdf.model.Resource model = data.getResource(iri);
            String other = null;
            String how = null;
            for (org.apache.jena.rdf.model.Statement id : model.listProperties(io.tinyfed.registry.vocabulary.SCHEMA.IDENTIFIER).toList()) {
                String value = id.getObject().isLiteral() ? id.getString() : id.getObject().toString();
                String candidate = byIdentifier.get(value);
                if (candidate != null && !candidate.equals(iri)) {
                    other = candidate;
                    how = "the same identifier " + value;
                }
            }
            org.apache.jena.rdf.model.Statement name = model.getProperty(io.tinyfed.registry.vocabulary.SCHEMA.NAME);
            if (other == null && name != null && name.getObject().isLiteral()) {
                String candidate = byName.get(sameName(name.getString()));
                if (candidate != null && !candidate.equals(iri)) {
                    other = candidate;
                    how = "the same name, " + name.getString();
                }
            }
            if (other != null) {
                model.addProperty(org.apache.jena.vocabulary.OWL.sameAs, data.createResource(other));
                notes.add("model " + iri + " is the model already registered as " + other + " (" + how + "): linked with "
                        + "owl:sameAs; each keeps its own requirement, so matchmaking lists both");
            }
        }
    }

    private static String sameName(String name) {
        return name.toLowerCase(java.util.Locale.ROOT).replaceAll("\\.tflite$", "").replaceAll("[^a-z0-9]", "");
    }

    @Override
    public ImportReport validateFile(Path file, io.tinyfed.registry.ImportOptions options) {
        Importers.Result r = read(file, options);
        ShapeValidator.check(file.toString(), r.model());
        return new ImportReport(file.toString(), Iris.importGraph(file.toAbsolutePath().normalize().toString()),
                r.model().size(), r.devices(), r.models(), r.skipped(), ImportReport.Outcome.VALIDATED, null);
    }

    private Importers.Result read(Path file, io.tinyfed.registry.ImportOptions options) {
        try {
            return Importers.read(file, options);
        } catch (InvalidDescriptionException e) {
            refused.incrementAndGet();
            throw e;
        }
    }

    /** Validates {@code data}, then drops {@code graph} and inserts {@code data} into it in one update request. */
    private void replaceGraph(String what, String graph, Model data) {
        replaceGraphs(what, List.of(Map.entry(graph, data)));
    }

    /** Validates every graph, then replaces them all in one write; nothing is written if any is invalid. */
    private void replaceGraphs(String what, List<Map.Entry<String, Model>> graphs) {
        Model all = org.apache.jena.rdf.model.ModelFactory.createDefaultModel();
        graphs.forEach(e -> org.apache.jena.graph.GraphUtil.addInto(all.getGraph(), e.getValue().getGraph()));
        if (local == null) {
            validate(what, all);
            UpdateRequest request = new UpdateRequest();
            QuadDataAcc quads = new QuadDataAcc();
            for (Map.Entry<String, Model> e : graphs) {
                Node g = NodeFactory.createURI(e.getKey());
                request.add(new UpdateDrop(g, true));
                e.getValue().getGraph().find().forEachRemaining((Triple t) -> quads.addQuad(Quad.create(g, t)));
            }
            request.add(new UpdateDataInsert(quads));
            write(request);
            return;
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        graphs.forEach(e -> names.add(e.getKey()));
        // The written graphs' facts for the match index (the queries that build it, run over just these graphs)
        // are found on the second core while this one validates and writes.
        java.util.concurrent.Future<WrittenFacts> facts = index == null ? null : HALVES.submit(() -> {
            DatasetGraph written = org.apache.jena.sparql.core.DatasetGraphFactory.create();
            for (Map.Entry<String, Model> e : graphs) {
                written.addGraph(NodeFactory.createURI(e.getKey()), e.getValue().getGraph());
            }
            WrittenFacts f = new WrittenFacts(new ArrayList<>(), new MatchIndex.Facts());
            selectIn(written, "device-index.rq", f.devices()::add);
            selectIn(written, "requirement-index.rq", f.requirements()::add);
            return f;
        });
        try {
            validate(what, all);
        } catch (InvalidDescriptionException e) {
            if (facts != null) {
                facts.cancel(true);
            }
            throw e;
        }
        // The same DROP and INSERT as the remote path sends, made on the dataset in one write transaction
        // without the SPARQL update engine in between.
        writeLocal(() -> {
            for (String g : names) {
                local.deleteAny(NodeFactory.createURI(g), Node.ANY, Node.ANY, Node.ANY);
            }
            // Graph by graph: a new graph's nodes get consecutive ids, so its quads go to the ends of the indexes.
            for (Map.Entry<String, Model> e : graphs) {
                Node g = NodeFactory.createURI(e.getKey());
                e.getValue().getGraph().find().forEachRemaining((Triple t) ->
                        local.add(g, t.getSubject(), t.getPredicate(), t.getObject()));
            }
        }, facts == null ? null : index -> {
            WrittenFacts f = await(facts);
            return index.replace(names, f.devices(), f.requirements());
        });
    }

    private record WrittenFacts(List<org.apache.jena.sparql.engine.binding.Binding> devices,
                                MatchIndex.Facts requirements) {
    }

    private void validate(String what, Model all) {
        try {
            ShapeValidator.check(what, all);
        } catch (InvalidDescriptionException e) {
            refused.incrementAndGet();
            throw e;
        }
    }

    private static <T> T await(java.util.concurrent.Future<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new RegistryException(e.getCause().toString(), e.getCause());
        }
    }

    /** A write's effect on the match index; false when it cannot be applied (the index is then dropped). */
    private interface Delta {
        boolean applyTo(MatchIndex index);
    }

    private void write(UpdateRequest request) {
        write(request, null);
    }

    private void write(UpdateRequest request, Delta delta) {
        commit(() -> conn().update(request), delta);
    }

    /** Makes {@code change} on the embedded dataset in one write transaction. */
    private void writeLocal(Runnable change, Delta delta) {
        commit(() -> {
            conn();
            org.apache.jena.system.Txn.executeWrite(local, change);
        }, delta);
    }

    /**
     * Makes one write (one write transaction on the embedded store). When the match index was
     * current before it and no other write began meanwhile, {@code delta} brings the index to the new
     * state; otherwise (another writer, a write without a delta, a delta that does not apply) the index
     * is left stale and rebuilt once the store is quiet (see {@link #matchIndex}).
     */
    private void commit(Runnable write, Delta delta) {
        org.apache.jena.dboe.transaction.txn.TransactionCoordinator tc =
                local == null ? null : TDBInternal.getTransactionCoordinator(local);
        long before = tc == null ? -1 : tc.countBeginWrite();
        try {
            write.run();
            writes.incrementAndGet();
        } catch (RuntimeException e) {
            refused.incrementAndGet();
            throw new RegistryException("registry write failed: " + e.getMessage(), e);
        }
        MatchIndex current = index;
        if (tc == null || delta == null || current == null || current.mark() != before) {
            return;
        }
        long after = tc.countBeginWrite();
        if (after != before + 1) {
            return; // someone else wrote too: their change is not in the delta
        }
        try {
            if (delta.applyTo(current)) {
                current.advance(after);
            } else {
                index = null;
            }
        } catch (RuntimeException e) {
            index = null;
            LOG.log(System.Logger.Level.WARNING, "match index delta not applied: {0}", e.toString());
        }
    }

    /** Runs a shipped SELECT over an in-memory dataset (a write's own graphs). */
    private static void selectIn(DatasetGraph dataset, String name,
                                 java.util.function.Consumer<org.apache.jena.sparql.engine.binding.Binding> action) {
        Query query = PARSED.computeIfAbsent(name, n -> Resources.sparql(n).asQuery());
        try (org.apache.jena.query.QueryExecution qe = org.apache.jena.query.QueryExecutionFactory.create(query,
                DatasetFactory.wrap(dataset))) {
            org.apache.jena.query.ResultSet rs = qe.execSelect();
            while (rs.hasNext()) {
                action.accept(rs.nextBinding());
            }
        }
    }

    private boolean exists(String iri, Resource type) {
        ParameterizedSparqlString q = Resources.sparql("entity-exists.rq");
        q.setIri("entity", iri);
        q.setParam("class", type.asNode());
        return conn().queryAsk(q.asQuery());
    }

    /** Which of {@code iris} are resources of {@code type}: one query for all (a VALUES block), not one per IRI. */
    private java.util.Set<String> existing(java.util.Collection<String> iris, Resource type) {
        java.util.Set<String> found = new java.util.HashSet<>();
        List<String> all = new ArrayList<>(new java.util.LinkedHashSet<>(iris));
        for (int from = 0; from < all.size(); from += EXISTS_BATCH) {
            StringBuilder values = new StringBuilder();
            for (String iri : all.subList(from, Math.min(all.size(), from + EXISTS_BATCH))) {
                values.append(' ').append(org.apache.jena.riot.out.NodeFmtLib.strNT(
                        org.apache.jena.graph.NodeFactory.createURI(iri)));
            }
            Query q = org.apache.jena.query.QueryFactory.create("SELECT DISTINCT ?entity WHERE { VALUES ?entity {" + values
                    + " } GRAPH ?g { ?entity <" + org.apache.jena.vocabulary.RDF.type.getURI() + "> <" + type.getURI()
                    + "> } }");
            conn().querySelect(q, row -> found.add(row.getResource("entity").getURI()));
        }
        return found;
    }

    /** IRIs per existence query: a few hundred keeps the query text small and its VALUES join cheap. */
    private static final int EXISTS_BATCH = 500;

    private void requireExists(String iri, Resource type, String what) {
        if (!exists(iri, type)) {
            throw unknown(iri, what);
        }
    }

    /** The refusal of a write that names an entity the registry does not hold (counted). */
    private UnknownEntityException unknown(String iri, String what) {
        refused.incrementAndGet();
        return new UnknownEntityException("unknown " + what + " (" + iri + ")");
    }

    // ---- queries ------------------------------------------------------------------------------------------------

    // Matchmaking. ARQ evaluates joins as index nested-loop joins, ~10 us per row on TDB2 here, so a
    // "devices for a model" pattern with four joins over 10,000 devices takes ~120 ms. The fact queries
    // below fetch each condition with a single-pattern scan (one UNION query, one round trip) and join the
    // rows here by hash; see semantic-registry/README.md and ./tinyfed bench registry for the figures.

    /** One requirement of a model (MatchIndex's, so both matchmaking paths apply the same rules). */
    private static Need need(String format, long bytes, Integer layers, long flash, boolean estimated) {
        return new Need(format, MatchIndex.formatBit(format), bytes, layers, flash, estimated);
    }

    /** A model's requirements, preferred first, and how many observable properties it requires. */
    private record Requirements(List<Need> needs, int requiredProperties) {
    }

    private Requirements requirements(String modelIri, Purpose purpose) {
        List<Need> needs = new ArrayList<>();
        int[] required = {0};
        select("requirements.rq", Map.of("model", iri(modelIri), "arenaProperty", arenaProperty(purpose)), row -> {
            if (row.contains("required")) {
                required[0] = intOf(row.get("required"));
                return;
            }
            String format = row.get("format").getURI();
            Integer layers = purpose == Purpose.TRAINING && row.contains("layers") ? intOf(row.get("layers")) : null;
            needs.add(need(format, MatchIndex.longOf(row.get("need")), layers,
                    row.contains("needFlash") ? MatchIndex.longOf(row.get("needFlash")) : 0,
                    row.contains("estimated") && Boolean.parseBoolean(row.get("estimated").getLiteralLexicalForm())));
        });
        MatchIndex.prefer(needs);
        return new Requirements(needs, required[0]);
    }

    /** What matchmaking knows about one candidate device, filled from device-facts.rq. */
    private static final class DeviceFacts {
        long ram = -1;
        long flash = Long.MAX_VALUE; // not stated: not excluded
        int formats;
        int senses; // how many of the model's required properties it senses
        boolean online;
        String fleet;
    }

    private Map<Node, DeviceFacts> deviceFacts(String modelIri, List<Need> needs, boolean selection) {
        long minRam = Long.MAX_VALUE;
        long maxFlash = 0;
        for (Need n : needs) {
            minRam = Math.min(minRam, n.bytes());
            maxFlash = Math.max(maxFlash, n.flash());
        }
        Map<String, org.apache.jena.rdf.model.RDFNode> params = Map.of("model", iri(modelIri),
                "minRam", literal(minRam), "maxFlash", literal(maxFlash),
                "selection", org.apache.jena.rdf.model.ResourceFactory.createTypedLiteral(selection));
        Map<Node, DeviceFacts> facts = new java.util.HashMap<>(16384);
        Map<Node, DeviceFacts> second = new java.util.HashMap<>(16384);
        // Each half fills its own map, so the two run concurrently without sharing one.
        both(() -> select("device-facts-1.rq", params, row -> {
            DeviceFacts f = facts.computeIfAbsent(row.get("device"), k -> new DeviceFacts());
            Node value = row.get("value");
            switch (row.get("fact").getLiteralLexicalForm()) {
                case "ram" -> f.ram = MatchIndex.longOf(value);
                case "lowflash" -> f.flash = MatchIndex.longOf(value);
                case "senses" -> f.senses++;
                default -> throw new IllegalStateException("unexpected fact " + row.get("fact"));
            }
        }), () -> select("device-facts-2.rq", params, row -> {
            DeviceFacts f = second.computeIfAbsent(row.get("device"), k -> new DeviceFacts());
            Node value = row.get("value");
            switch (row.get("fact").getLiteralLexicalForm()) {
                case "format" -> f.formats |= MatchIndex.formatBit(value.getURI());
                case "online" -> f.online = true;
                case "fleet" -> f.fleet = value.getLiteralLexicalForm();
                default -> throw new IllegalStateException("unexpected fact " + row.get("fact"));
            }
        }));
        facts.forEach((device, f) -> {
            DeviceFacts g = second.get(device);
            if (g != null) {
                f.formats = g.formats;
                f.online = g.online;
                f.fleet = g.fleet;
            }
        });
        return facts;
    }

    /** Two independent reads, one on a pool thread: the fact queries' halves use both cores. */
    private static void both(Runnable a, Runnable b) {
        java.util.concurrent.Future<?> other = HALVES.submit(b);
        a.run();
        await(other);
    }

    private static final java.util.concurrent.ExecutorService HALVES = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tinyfed-registry-query");
        t.setDaemon(true);
        return t;
    });

    /** The preferred requirement a device meets, or null. */
    private static Need fit(DeviceFacts f, List<Need> needs, int requiredProperties) {
        return MatchIndex.fit(f.ram, f.flash, f.formats, f.senses >= requiredProperties, needs);
    }

    /**
     * The match index for the store's current state (embedded stores only). When the store changed since
     * the last one was built, this call answers from the fact queries, and once no write has begun for
     * 250 ms a new index is built in the background: a write never makes a query wait for a rebuild.
     */
    private java.util.Optional<MatchIndex> matchIndex() {
        if (local == null || !indexEnabled) {
            return java.util.Optional.empty();
        }
        conn(); // closed: fail before touching the store's transaction state
        org.apache.jena.dboe.transaction.txn.TransactionCoordinator tc = TDBInternal.getTransactionCoordinator(local);
        long mark = tc.countBeginWrite();
        MatchIndex current = index;
        if (current != null && current.mark() == mark && tc.countActiveWriter() == 0) {
            return java.util.Optional.of(current);
        }
        // Rebuild once the store has been quiet for a while: under a stream of writes every index would be stale
        // before it is used, and rebuilding would only take CPU from the queries.
        long now = System.nanoTime();
        if (mark != lastMark) {
            lastMark = mark;
            lastMarkSeen = now;
            return java.util.Optional.empty();
        }
        if (now - lastMarkSeen >= QUIET_NANOS && rebuilding.compareAndSet(false, true)) {
            HALVES.submit(() -> {
                try {
                    rebuild(tc);
                } finally {
                    rebuilding.set(false);
                }
            });
        }
        return java.util.Optional.empty();
    }

    private void rebuild(org.apache.jena.dboe.transaction.txn.TransactionCoordinator tc) {
        long mark = tc.countBeginWrite();
        if (tc.countActiveWriter() != 0) {
            return;
        }
        try {
            MatchIndex built = MatchIndex.build(mark, (name, action) -> select(name, Map.of(), action), JenaRegistry::both);
            if (tc.countBeginWrite() == mark && tc.countActiveWriter() == 0) {
                index = built; // else a write began while the scans ran: they may disagree; the next call retries
            }
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.log(System.Logger.Level.WARNING, "match index not rebuilt: {0}", e.toString());
            }
        }
    }

    /** Waits until a match index for the current state exists (tests compare both query paths). */
    boolean awaitIndex(java.time.Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (matchIndex().isPresent()) {
                return true;
            }
            Thread.sleep(5);
        }
        return false;
    }

    /** Whether the match index reflects the store's current state, without waiting or rebuilding (tests). */
    boolean indexCurrent() {
        MatchIndex current = index;
        org.apache.jena.dboe.transaction.txn.TransactionCoordinator tc = TDBInternal.getTransactionCoordinator(local);
        return current != null && current.mark() == tc.countBeginWrite() && tc.countActiveWriter() == 0;
    }

    /** Answer from the fact queries only (tests of that path on the embedded store). */
    void disableIndex() {
        indexEnabled = false;
    }

    @Override
    public List<DeviceMatch> devicesFor(String modelIri, Purpose purpose) {
        java.util.Optional<MatchIndex> idx = matchIndex();
        if (idx.isPresent()) {
            return idx.get().devicesFor(modelIri, purpose);
        }
        Requirements r = requirements(modelIri, purpose);
        List<Need> needs = r.needs();
        if (needs.isEmpty()) {
            return List.of();
        }
        int required = r.requiredProperties();
        List<DeviceMatch> out = new ArrayList<>();
        deviceFacts(modelIri, needs, false).forEach((device, f) -> {
            Need n = fit(f, needs, required);
            if (n != null) {
                out.add(new DeviceMatch(device.isURI() ? device.getURI() : "_:" + device.getBlankNodeLabel(),
                        MatchIndex.localName(n.format()), n.bytes(), f.ram, n.layers(), n.estimated()));
            }
        });
        out.sort((a, b) -> a.deviceIri().compareTo(b.deviceIri()));
        return out;
    }

    @Override
    public List<io.tinyfed.registry.Exclusion> exclusions(String modelIri, Purpose purpose) {
        List<Need> needs = requirements(modelIri, purpose).needs();
        java.util.Set<String> required = new java.util.TreeSet<>();
        select("required-properties.rq", Map.of("model", iri(modelIri)), row -> required.add(row.get("property").getURI()));
        Map<String, MatchIndex.Device> devices = new java.util.TreeMap<>();
        select("device-index.rq", Map.of(), row -> {
            Node subject = row.get("subject");
            if (!subject.isURI()) {
                return;
            }
            devices.computeIfAbsent(subject.getURI(), k -> new MatchIndex.Device())
                    .add(row.get("fact").getLiteralLexicalForm(), row.get("value"));
        });
        List<io.tinyfed.registry.Exclusion> out = new ArrayList<>();
        devices.forEach((iri, d) -> {
            if (d.ram < 0) {
                return; // not a device (requirements state flash too), or not matchable
            }
            List<String> reasons = Explanations.reasons(d, needs, required);
            if (!reasons.isEmpty()) {
                out.add(new io.tinyfed.registry.Exclusion(iri, reasons));
            }
        });
        return out;
    }

    @Override
    public List<String> eligibleForTraining(String fleet, String versionIri) {
        java.util.Optional<MatchIndex> idx = matchIndex();
        if (idx.isPresent()) {
            return idx.get().eligibleForTraining(fleet, versionIri);
        }
        Requirements r = requirements(versionIri, Purpose.TRAINING);
        List<Need> needs = r.needs();
        if (needs.isEmpty()) {
            return List.of();
        }
        int required = r.requiredProperties();
        List<String> ids = new ArrayList<>();
        deviceFacts(versionIri, needs, true).forEach((device, f) -> {
            String id = device.isURI() ? Iris.deviceId(device.getURI()) : null;
            if (f.online && fleet.equals(f.fleet) && id != null && fit(f, needs, required) != null) {
                ids.add(id);
            }
        });
        ids.sort(null);
        return ids;
    }

    @Override
    public List<ModelMatch> modelsFor(String deviceIri, Purpose purpose) {
        java.util.Optional<MatchIndex> idx = matchIndex();
        if (idx.isPresent()) {
            return idx.get().modelsFor(deviceIri, purpose);
        }
        long[] ram = {-1};
        long[] flash = {Long.MAX_VALUE};
        int[] formats = {0};
        java.util.Set<String> senses = new java.util.HashSet<>();
        select("device-capabilities.rq", Map.of("device", iri(deviceIri)), row -> {
            Node value = row.get("value");
            switch (row.get("fact").getLiteralLexicalForm()) {
                case "ram" -> ram[0] = MatchIndex.longOf(value);
                case "flash" -> flash[0] = MatchIndex.longOf(value);
                case "format" -> formats[0] |= MatchIndex.formatBit(value.getURI());
                default -> senses.add(value.getURI());
            }
        });
        if (ram[0] < 0) {
            return List.of();
        }
        Map<Node, Long> need = new java.util.HashMap<>();
        Map<Node, String> format = new java.util.HashMap<>();
        Map<Node, Integer> layers = new java.util.HashMap<>();
        java.util.Set<Node> tooBig = new java.util.HashSet<>();
        java.util.Set<Node> estimated = new java.util.HashSet<>();
        Map<Node, Node> modelOf = new java.util.HashMap<>();
        Map<Node, java.util.Set<String>> requires = new java.util.HashMap<>();
        Map<String, org.apache.jena.rdf.model.RDFNode> params = Map.of("arenaProperty", arenaProperty(purpose),
                "ram", literal(ram[0]), "flash", literal(flash[0]),
                "training", org.apache.jena.rdf.model.ResourceFactory.createTypedLiteral(purpose == Purpose.TRAINING));
        // Each half fills its own maps, so the two run concurrently without sharing one.
        both(() -> select("requirement-facts-1.rq", params, row -> {
            Node subject = row.get("subject");
            Node value = row.get("value");
            switch (row.get("fact").getLiteralLexicalForm()) {
                case "need" -> need.put(subject, MatchIndex.longOf(value));
                case "format" -> format.put(subject, value.getURI());
                case "bigflash" -> tooBig.add(subject);
                case "estimated" -> {
                    if (Boolean.parseBoolean(value.getLiteralLexicalForm())) {
                        estimated.add(subject);
                    }
                }
                default -> throw new IllegalStateException("unexpected fact " + row.get("fact"));
            }
        }), () -> select("requirement-facts-2.rq", params, row -> {
            Node subject = row.get("subject");
            Node value = row.get("value");
            switch (row.get("fact").getLiteralLexicalForm()) {
                case "layers" -> layers.put(subject, intOf(value));
                case "model" -> modelOf.put(subject, value);
                case "requires" -> requires.computeIfAbsent(subject, k -> new java.util.HashSet<>()).add(value.getURI());
                default -> throw new IllegalStateException("unexpected fact " + row.get("fact"));
            }
        }));
        Map<String, ModelMatch> best = new LinkedHashMap<>();
        need.forEach((req, bytes) -> {
            Node model = modelOf.get(req);
            String f = format.get(req);
            if (model == null || f == null || (formats[0] & MatchIndex.formatBit(f)) == 0 || tooBig.contains(req)
                    || !senses.containsAll(requires.getOrDefault(model, java.util.Set.of()))) {
                return;
            }
            Integer l = purpose == Purpose.TRAINING ? layers.get(req) : null;
            String key = model.isURI() ? model.getURI() : "_:" + model.getBlankNodeLabel();
            ModelMatch current = best.get(key);
            if (current == null || MatchIndex.better(l, bytes, current.trainableLayers(), current.arenaBytes())) {
                best.put(key, new ModelMatch(key, null, MatchIndex.localName(f), bytes, l, estimated.contains(req)));
            }
        });
        Map<String, String> names = names(best.keySet());
        List<ModelMatch> out = new ArrayList<>();
        best.forEach((model, m) -> out.add(new ModelMatch(model, names.get(model), m.format(), m.arenaBytes(),
                m.trainableLayers(), m.arenaEstimated())));
        out.sort((a, b) -> a.modelIri().compareTo(b.modelIri()));
        return out;
    }

    private static final Map<String, Query> PARSED = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Runs a shipped SELECT query with its parameters bound by substitution (the query is parsed once;
     * values are never spliced into query text), streaming each row to {@code action}.
     */
    private void select(String name, Map<String, org.apache.jena.rdf.model.RDFNode> params,
                        java.util.function.Consumer<org.apache.jena.sparql.engine.binding.Binding> action) {
        Query query = PARSED.computeIfAbsent(name, n -> Resources.sparql(n).asQuery());
        Map<org.apache.jena.sparql.core.Var, Node> bindings = new java.util.HashMap<>();
        params.forEach((k, v) -> bindings.put(org.apache.jena.sparql.core.Var.alloc(k), v.asNode()));
        // Syntax-level substitution of parameter values (no re-parse, no text splicing).
        Query bound = org.apache.jena.sparql.syntax.syntaxtransform.QueryTransformOps.transform(query, bindings);
        Runnable run = () -> {
            try (org.apache.jena.query.QueryExecution qe = conn().query(bound)) {
                org.apache.jena.query.ResultSet rs = qe.execSelect();
                while (rs.hasNext()) {
                    action.accept(rs.nextBinding());
                }
            }
        };
        conn();
        if (local != null) {
            org.apache.jena.system.Txn.executeRead(local, run);
        } else {
            run.run();
        }
    }

    private static org.apache.jena.rdf.model.RDFNode iri(String iri) {
        return org.apache.jena.rdf.model.ResourceFactory.createResource(iri);
    }

    private static org.apache.jena.rdf.model.RDFNode literal(long v) {
        return Describe.integer(v);
    }

    private static int intOf(Node n) {
        return (int) MatchIndex.longOf(n);
    }

    private Map<String, String> names(java.util.Collection<String> models) {
        Map<String, String> names = new java.util.HashMap<>();
        if (models.isEmpty()) {
            return names;
        }
        List<org.apache.jena.rdf.model.RDFNode> nodes = new ArrayList<>();
        for (String m : models) {
            nodes.add(m.startsWith("_:") ? null : org.apache.jena.rdf.model.ResourceFactory.createResource(m));
        }
        nodes.removeIf(java.util.Objects::isNull);
        ParameterizedSparqlString q = Resources.sparql("model-names.rq");
        q.setValues("models", nodes);
        forEach(q.asQuery(), row -> names.put(row.getResource("model").getURI(), row.getLiteral("name").getString()));
        return names;
    }

    private void forEach(Query query, java.util.function.Consumer<org.apache.jena.query.QuerySolution> action) {
        conn().queryResultSet(query, rs -> rs.forEachRemaining(action));
    }

    @Override
    public QueryTable select(String sparql) {
        return run(parsed(sparql, org.apache.jena.query.QueryType.SELECT));
    }

    @Override
    public boolean ask(String sparql) {
        return conn().queryAsk(parsed(sparql, org.apache.jena.query.QueryType.ASK));
    }

    @Override
    public Model construct(String sparql) {
        Query query = parsed(sparql, org.apache.jena.query.QueryType.CONSTRUCT, org.apache.jena.query.QueryType.DESCRIBE);
        return query.isDescribeType() ? conn().queryDescribe(query) : conn().queryConstruct(query);
    }

    /** {@code sparql} parsed, and of one of {@code types}; a RegistryException that says what is wrong otherwise. */
    private static Query parsed(String sparql, org.apache.jena.query.QueryType... types) {
        Query query;
        try {
            query = QueryFactory.create(sparql);
        } catch (RuntimeException e) {
            throw new RegistryException("not a SPARQL query: " + e.getMessage(), e);
        }
        for (org.apache.jena.query.QueryType t : types) {
            if (query.queryType() == t) {
                return query;
            }
        }
        throw new RegistryException("a " + query.queryType() + " query where a " + java.util.Arrays.toString(types)
                .replaceAll("[\\[\\]]", "").replace(", ", " or ") + " query is needed");
    }

    @Override
    public QueryTable selectResource(String name) {
        return select(Resources.queryText(name));
    }

    private QueryTable run(Query query) {
        ResultSetRewindable[] copy = new ResultSetRewindable[1];
        conn().queryResultSet(query, rs -> copy[0] = ResultSetFactory.copyResults(rs));
        return QueryTable.of(copy[0]);
    }

    private static Resource arenaProperty(Purpose purpose) {
        return purpose == Purpose.TRAINING ? TF.TRAINING_ARENA_BYTES : TF.INFERENCE_ARENA_BYTES;
    }

    @Override
    public Model graph(String graphIri) {
        ParameterizedSparqlString q = Resources.sparql("graph.rq");
        q.setIri("graph", graphIri);
        return conn().queryConstruct(q.asQuery());
    }

    @Override
    public Counters counters() {
        return new Counters(writes.get(), refused.get());
    }

    @Override
    public Optional<DatasetGraph> dataset() {
        return Optional.ofNullable(local);
    }

    private RDFConnection conn() {
        if (closed) {
            throw new RegistryException("the registry is closed");
        }
        return connection;
    }

    /**
     * Refuses new calls, waits until no transaction is active on the store (a query from the SPARQL
     * endpoint, a match-index rebuild, a write in progress), then releases the files so the same
     * directory can be reopened in this JVM (tests, restarts). If transactions are still active after
     * {@link #CLOSE_WAIT}, the files are left open and the reason is logged: the store keeps its last
     * committed state, which the next process recovers from the journal.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!ownsLocal) {
            connection.close();
            return;
        }
        org.apache.jena.dboe.transaction.txn.TransactionCoordinator tc = TDBInternal.getTransactionCoordinator(local);
        long end = System.nanoTime() + CLOSE_WAIT.toNanos();
        while (!tc.tryExclusiveMode(false)) {
            if (System.nanoTime() >= end) {
                LOG.log(System.Logger.Level.ERROR, "registry not released: {0} transactions still active after {1} s",
                        tc.countActive(), CLOSE_WAIT.toSeconds());
                return;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.log(System.Logger.Level.ERROR, "registry not released: interrupted while {0} transactions were active",
                        tc.countActive());
                return;
            }
        }
        try {
            connection.close();
            TDBInternal.expel(local);
        } finally {
            // Callers that were waiting to begin now find the store shut down and fail.
            tc.finishExclusiveMode();
        }
    }
}
