package io.tinyfed.registry;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.tdb2.DatabaseMgr;
import org.junit.jupiter.api.AfterEach;

/**
 * The facade contract against a remote SPARQL 1.1 store: a second Fuseki server, started in the
 * test on a free port, that the registry reaches only over HTTP (queries open, updates with the
 * admin's basic-auth credentials).
 */
class RemoteRegistryTest extends RegistryContract {
    private SparqlEndpoint server;

    @Override
    protected Registry open() {
        DatasetGraph store = DatabaseMgr.createDatasetGraph();
        char[] secret = "remote-test-secret".toCharArray();
        server = SparqlEndpoint.builder().dataset(store).port(0).adminSecret(secret).start();
        return Registry.remote(server.datasetUrl(), SparqlEndpoint.ADMIN, secret);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }
}
