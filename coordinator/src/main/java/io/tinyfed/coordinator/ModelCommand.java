package io.tinyfed.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import io.tinyfed.core.ModelCodec;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.TrustedKeys;
import io.tinyfed.protocol.WireCodec;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tinyfed model list|pull}: a running coordinator's model versions, and one of them
 * downloaded as the signed snapshot, verified against the fleet's trust file, and written as a
 * model file ({@code export c --model FILE} and {@code coordinator --model-file FILE} read it).
 */
@Command(name = "model", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
        description = "List a coordinator's model versions, or pull one as a verified model file (through its HTTP API).",
        subcommands = {ModelCommand.List.class, ModelCommand.Pull.class})
public final class ModelCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: list or pull");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
            description = "Every stored version of a model: round, strategy, contributors, adapted loss.")
    static final class List implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions api = new ApiOptions();

        @Option(names = "--model-id", defaultValue = "sine", description = "Model id (default: ${DEFAULT-VALUE}).")
        String modelId;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%8s %6s %-12s %12s %10s  %s%n", "version", "round", "strategy", "contributors", "adapted", "created");
            for (JsonNode v : api.get("/api/models/" + modelId + "/versions")) {
                JsonNode loss = v.path("metaEvalLoss");
                out.printf(Locale.ROOT, "%8d %6d %-12s %12d %10s  %s%n", v.path("version").asLong(), v.path("round").asInt(),
                        v.path("strategy").asText(), v.path("contributors").size(),
                        loss.isNumber() ? String.format(Locale.ROOT, "%.4f", loss.asDouble()) : "-",
                        v.path("createdAt").asText());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "pull", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
            description = "Download a version's signed snapshot, verify its signature, write it as a model file.")
    static final class Pull implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions api = new ApiOptions();

        @Option(names = "--model-id", defaultValue = "sine", description = "Model id (default: ${DEFAULT-VALUE}).")
        String modelId;

        @Option(names = "--model-version", defaultValue = "latest", description = "A version number, or latest "
                + "(default: ${DEFAULT-VALUE}).")
        String version;

        @Option(names = "--trust", description = "Trusted coordinator keys (default: STORE/keys/trust.keys).")
        Path trust;

        @Option(names = "--out", required = true, description = "The model file to write (replaced only once verified).")
        Path out;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            io.tinyfed.protocol.cli.Cli.modelVersion(spec, "--model-version", version);
            Path keys = trust != null ? trust : api.store.resolve("keys").resolve("trust.keys");
            if (!Files.isReadable(keys)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "no trust file at " + keys + ": pass "
                        + "--trust FILE (the coordinator's STORE/keys/trust.keys) or --store DIR");
            }
            SnapshotVerifier verifier = new SnapshotVerifier(TrustedKeys.read(keys));
            byte[] bytes = api.bytes("/api/models/" + modelId + "/versions/" + version + "/snapshot");
            ModelSnapshot snapshot;
            try {
                snapshot = WireCodec.decodeSnapshot(bytes);
                if (!snapshot.modelId().equals(modelId)) {
                    throw new ProtocolException(io.tinyfed.protocol.RejectReason.INVALID_FIELD, "snapshot of model " + snapshot.modelId()
                            + ", not " + modelId);
                }
                verifier.verify(snapshot);
            } catch (ProtocolException e) {
                throw new IllegalStateException("refused the snapshot from " + api.url + ": " + e.getMessage()
                        + "; nothing written");
            }
            Path target = out.toAbsolutePath();
            Path temp = Files.createTempFile(target.getParent(), ".pull-", ".tmp");
            try {
                Files.write(temp, ModelCodec.encode(snapshot.model()));
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
            PrintWriter o = spec.commandLine().getOut();
            o.printf("%s version %d (%s, %d parameters, signature by key %s verified) -> %s%n", modelId,
                    snapshot.version(), snapshot.model().format(), snapshot.model().architecture().parameterCount(),
                    snapshot.keyId(), out);
            o.flush();
            return 0;
        }
    }

    static CommandLine commandLine() {
        return io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new ModelCommand()));
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
