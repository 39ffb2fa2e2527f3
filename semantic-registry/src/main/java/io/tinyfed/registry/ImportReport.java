package io.tinyfed.registry;

import java.util.List;

/**
 * What an import wrote and what it skipped, and why.
 *
 * @param graph    the named graph the file's triples now live in (re-importing replaces it)
 * @param devices  IRIs of devices that became matchable (normalised RAM, formats, sensors)
 * @param models   IRIs of models that became matchable (normalised requirements)
 * @param skipped  one line per thing left out or not normalised, with the reason
 */
public record ImportReport(String file, String graph, long triples, List<String> devices, List<String> models,
                           List<String> skipped) {
    public ImportReport {
        devices = List.copyOf(devices);
        models = List.copyOf(models);
        skipped = List.copyOf(skipped);
    }
}
