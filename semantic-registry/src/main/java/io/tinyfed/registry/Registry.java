package io.tinyfed.registry;

import io.tinyfed.registry.internal.JenaRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.jena.sparql.core.DatasetGraph;

/**
 * The semantic registry of models and devices: validated writes, matchmaking and SPARQL.
 *
 * <p>One interface over two backends: {@link #embedded} (TDB2 files in-process, the default) and
 * {@link #remote} (any SPARQL 1.1 Query + Update endpoint, e.g. Fuseki, GraphDB, Virtuoso). Every
 * description lives in its own named graph, so re-registering replaces it; every write is validated
 * against the registry's SHACL shapes first and is a single SPARQL update, so an invalid
 * description writes nothing. The registry's own queries name graphs explicitly and so do not
 * depend on a store's union-default-graph setting; the embedded store also answers ad-hoc queries
 * over the union of all graphs. Thread-safe.
 */
public interface Registry extends AutoCloseable {

    /** A TDB2 store in {@code directory} (created if missing); survives restarts. */
    static Registry embedded(Path directory) {
        return JenaRegistry.embedded(directory);
    }

    /** A TDB2 store in memory, for tests and benchmarks. */
    static Registry inMemory() {
        return JenaRegistry.inMemory();
    }

    /**
     * A remote SPARQL 1.1 store.
     *
     * @param datasetUrl Fuseki-style dataset URL; queries go to {@code datasetUrl/query} and updates to
     *                   {@code datasetUrl/update}
     * @param user       HTTP basic user for updates; null for none
     */
    static Registry remote(String datasetUrl, String user, char[] password) {
        return JenaRegistry.remote(datasetUrl, user, password);
    }

    /**
     * A remote SPARQL 1.1 store whose query and update endpoints are named separately (e.g. GraphDB:
     * {@code http://HOST:7200/repositories/ID} and {@code http://HOST:7200/repositories/ID/statements}).
     *
     * @param updateUrl null: the store follows the dataset convention and {@code url} is the dataset URL
     */
    static Registry remote(String url, String updateUrl, String user, char[] password) {
        return updateUrl == null ? JenaRegistry.remote(url, user, password)
                : JenaRegistry.remote(url, updateUrl, user, password);
    }

    /** Registers or replaces a device. @throws InvalidDescriptionException if it does not conform */
    void registerDevice(DeviceDescription device);

    /**
     * Registers or replaces many devices in one transaction (bulk import of a fleet inventory).
     *
     * @throws InvalidDescriptionException naming every non-conforming device; then nothing is written
     */
    void registerDevices(List<DeviceDescription> devices);

    /**
     * Marks a device online or offline.
     *
     * @throws UnknownEntityException if the device is not registered
     */
    void setOnline(String fleet, String deviceId, boolean online, Instant at);

    /**
     * Marks many devices of {@code fleet} online or offline in one transaction (a fleet's state
     * messages, coalesced). Changes of unregistered devices are skipped and their ids returned.
     *
     * @return the ids of the devices that are not registered, in the order given; empty when all are
     */
    List<String> setOnline(String fleet, List<Presence> changes);

    /** Registers or replaces a model version. @throws InvalidDescriptionException if it does not conform */
    /**
     * Forgets devices of {@code fleet}: each one's description, refusal record and deployment records,
     * in one write. Rounds and lineage keep naming them (they record who contributed). A device that
     * announces itself again is registered anew.
     *
     * @return the ids that were registered and are now removed (unknown ids are left out)
     */
    List<String> removeDevices(String fleet, List<String> deviceIds);

    /** Ids of the devices of {@code fleet} that are offline and were last seen before {@code before}. */
    List<String> devicesNotSeenSince(String fleet, Instant before);

    void registerModelVersion(ModelVersionDescription version);

    /** Registers or replaces many model versions in one transaction; all or nothing, as {@link #registerDevices}. */
    void registerModelVersions(List<ModelVersionDescription> versions);

    /**
     * Records a federated round and links the version it produced to it (PROV-O).
     *
     * @throws UnknownEntityException if its base or produced version is not registered
     */
    void recordRound(RoundRecord round);

    /**
     * Records (replaces) one device's part in a rollout.
     *
     * @throws UnknownEntityException if the device or the rollout's version is not registered
     */
    void recordDeployment(DeploymentRecord deployment);

    /**
     * Records many devices' parts in rollouts in one transaction (a rollout's reports, coalesced; of several records
     * with the same IRI the last one is kept); all or nothing.
     */
    void recordDeployments(List<DeploymentRecord> deployments);

    /** Records (replaces) a rollout. @throws UnknownEntityException if its version is not registered */
    void recordRollout(RolloutRecord rollout);

    /** Records (replaces) a device's last refused deploy. @throws UnknownEntityException if the device is not registered */
    void recordRefusal(RefusalRecord refusal);

    /** Devices that can run ({@link Purpose#INFERENCE}) or train a model (native version or imported). */
    List<DeviceMatch> devicesFor(String modelIri, Purpose purpose);

    /** Models (native versions and imported descriptions) that a device can run or train. */
    List<ModelMatch> modelsFor(String deviceIri, Purpose purpose);

    /**
     * Every described device that cannot run (or train) {@code modelIri}, with the requirements it misses: RAM or
     * flash short by how much, no number format the model comes in, no sensor of a property the model requires.
     * Devices whose RAM is unknown are not devices for matchmaking and are not listed.
     */
    List<Exclusion> exclusions(String modelIri, Purpose purpose);

    /** The newest registered version number of model {@code modelId}; empty when it has none. */
    default java.util.OptionalLong latestVersion(String modelId) {
        QueryTable latest = select(QueryParameters.bind(io.tinyfed.registry.internal.Resources.queryText("latest-version.rq"),
                java.util.Map.of("model", Iris.model(modelId))));
        String n = latest.rows().isEmpty() ? null : latest.rows().get(0).get("latest");
        return n == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(Long.parseLong(n));
    }

    /**
     * Client selection's eligibility query: ids of the fleet's online devices that can train the model
     * version (RAM for a training arena in a format they support, required sensors hosted), sorted.
     */
    List<String> eligibleForTraining(String fleet, String versionIri);

    /** Runs a SELECT query (over the union of all graphs on the embedded store). */
    QueryTable select(String sparql);

    /** Runs an ASK query, as {@link #select} runs a SELECT. @throws RegistryException if it is not one */
    boolean ask(String sparql);

    /** Runs a CONSTRUCT or DESCRIBE query: the graph it builds. @throws RegistryException if it is neither */
    org.apache.jena.rdf.model.Model construct(String sparql);

    /** Runs a SELECT query from a {@code .rq} resource shipped with the registry, e.g. {@code inventory.rq}. */
    QueryTable selectResource(String name);

    /**
     * Imports a description file: Turtle / JSON-LD / RDF/XML (native or published TinyML, S3N, SOSA
     * vocabularies), a WoT Thing Description ({@code .td.json}, {@code .jsonld} with a TD context) or a
     * {@code .tflite} model, into a named graph of its own per file path. Re-importing a path replaces what it wrote;
     * a byte-identical file under another path is not written and the report names the file imported before.
     *
     * @throws InvalidDescriptionException if the file cannot be parsed or the result does not conform
     */
    default ImportReport importFile(Path file) {
        return importFile(file, ImportOptions.DEFAULT);
    }

    /** As {@link #importFile(Path)}, reading the file as {@code options} say (e.g. what a kilobyte means). */
    ImportReport importFile(Path file, ImportOptions options);

    /** Parses and validates a file as {@link #importFile} would, without writing; the report says what would be imported. */
    default ImportReport validateFile(Path file) {
        return validateFile(file, ImportOptions.DEFAULT);
    }

    /** As {@link #validateFile(Path)}, reading the file as {@code options} say. */
    ImportReport validateFile(Path file, ImportOptions options);

    /** A copy of one named graph (a device's, a version's, an import's); empty if there is none. */
    org.apache.jena.rdf.model.Model graph(String graphIri);

    /** Writes counted since this registry was opened, refused writes counted separately. */
    Counters counters();

    /** The embedded dataset to serve over SPARQL; empty for a remote registry. */
    Optional<DatasetGraph> dataset();

    @Override
    void close();

    /** Accepted and refused writes since the registry was opened. */
    record Counters(long writes, long refused) {
    }
}
