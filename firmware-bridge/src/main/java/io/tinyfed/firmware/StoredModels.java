package io.tinyfed.firmware;

import io.tinyfed.coordinator.store.CoordinatorKeys;
import io.tinyfed.coordinator.store.ModelStore;
import io.tinyfed.core.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;

/** Model versions from a coordinator's store for the firmware commands: found by number or latest, verified. */
final class StoredModels {
    private StoredModels() {
    }

    /**
     * Version {@code version} ({@code latest} or a number) of {@code modelId} in {@code store}; a usage error that
     * says what the store holds otherwise.
     */
    static ModelStore.Version find(CommandLine.Model.CommandSpec spec, Path store, String modelId, String version)
            throws IOException {
        if (!Files.isDirectory(store.resolve("versions"))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--store " + store + ": not a coordinator's "
                    + "store (no versions directory)");
        }
        if (!ModelStore.isValidModelId(modelId)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--model-id " + modelId + ": 1..64 of "
                    + "[A-Za-z0-9._-]");
        }
        java.util.OptionalLong number = io.tinyfed.protocol.cli.Cli.modelVersion(spec, "--model-version", version);
        List<ModelStore.Version> all = new ModelStore(store).versions(modelId);
        if (all.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--store " + store + " holds no versions of "
                    + modelId);
        }
        if (number.isEmpty()) {
            return all.get(all.size() - 1);
        }
        long n = number.getAsLong();
        return all.stream().filter(v -> v.version() == n).findFirst().orElseThrow(() ->
                new CommandLine.ParameterException(spec.commandLine(), "--store " + store + " has no version " + n
                        + " of " + modelId + " (it holds " + all.get(0).version() + ".." + all.get(all.size() - 1).version()
                        + ")"));
    }

    /**
     * The model of {@code v}, its signature verified against the store's {@code keys/trust.keys}: what devices
     * would accept, and nothing else.
     */
    static Model verifiedModel(Path store, ModelStore.Version v) throws IOException {
        Path trust = CoordinatorKeys.trustFile(store);
        try {
            return new ModelStore(store).verifiedSnapshot(v, trust).model();
        } catch (io.tinyfed.protocol.ProtocolException e) {
            throw new IOException(v.modelId() + " version " + v.version() + " in " + store + " does not verify against "
                    + trust + " (" + e.getMessage() + "); not exported", e);
        }
    }
}
