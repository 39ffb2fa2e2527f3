package io.tinyfed.coordinator.eval;

import io.tinyfed.core.Model;

/**
 * Measures how well a meta-model adapts: for simulated task families, adapt it on held-out tasks
 * with the run's few-shot protocol and return the mean post-adaptation loss. Implementations
 * live with the task families (simulators); the coordinator only calls them.
 */
@FunctionalInterface
public interface MetaEvaluator {
    double adaptedLoss(Model metaModel);
}
