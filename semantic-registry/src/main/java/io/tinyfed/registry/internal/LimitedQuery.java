package io.tinyfed.registry.internal;

import java.util.concurrent.Semaphore;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.SPARQL_QueryDataset;
import org.apache.jena.fuseki.servlets.ServletOps;

/**
 * Fuseki's SPARQL query operation with at most {@code max} queries running at once: one more is
 * answered at once with 503 instead of queueing on the server's threads until none is left, so the
 * ping and the rest of the server stay responsive while abusive queries run out their timeout.
 */
public final class LimitedQuery extends SPARQL_QueryDataset {
    private final int max;
    private final Semaphore slots;

    public LimitedQuery(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("concurrent query limit must be >= 1");
        }
        this.max = max;
        this.slots = new Semaphore(max);
    }

    @Override
    public void process(HttpAction action) {
        if (!slots.tryAcquire()) {
            action.setResponseHeader("Retry-After", "1");
            ServletOps.error(503, "the registry is already running " + max + " queries; retry shortly");
        }
        try {
            super.process(action);
        } finally {
            slots.release();
        }
    }
}
