package io.tinyfed.registry;

import java.util.List;

/**
 * What an import wrote and what it skipped, and why.
 *
 * @param graph       the named graph the file's triples live in: one per file path, so re-importing a path replaces
 *                    its graph and two files of one name in different directories are two graphs
 * @param devices     IRIs of devices that became matchable (normalised RAM, formats, sensors)
 * @param models      IRIs of models that became matchable (normalised requirements)
 * @param skipped     one line per thing left out or not normalised, with the reason
 * @param outcome     what the import did with the file
 * @param duplicateOf for {@link Outcome#DUPLICATE}: the path of the byte-identical file imported before; else null
 */
public record ImportReport(String file, String graph, long triples, List<String> devices, List<String> models,
                           List<String> skipped, Outcome outcome, String duplicateOf) {
    /** What an import did with a file. */
    public enum Outcome {
        /** The file's first import: a new graph. */
        IMPORTED,
        /** The file was imported from this path before: its graph was replaced. */
        REPLACED,
        /** A byte-identical file was imported from another path before: nothing written. */
        DUPLICATE,
        /** Validated only ({@link Registry#validateFile}): nothing written. */
        VALIDATED
    }

    public ImportReport {
        devices = List.copyOf(devices);
        models = List.copyOf(models);
        skipped = List.copyOf(skipped);
    }
}
