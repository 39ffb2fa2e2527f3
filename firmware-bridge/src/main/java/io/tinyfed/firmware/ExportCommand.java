package io.tinyfed.firmware;

import io.tinyfed.export.CExport;
import io.tinyfed.core.Model;
import io.tinyfed.core.ModelCodec;
import io.tinyfed.core.NumberFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./tinyfed export c --model FILE --out DIR} or {@code --store DIR --model-id ID --version N|latest}:
 * writes a model (a ModelCodec file, or a version from a coordinator's store, verified against the store's
 * {@code keys/trust.keys} first) as C with the TinyFed C99 runtime. An F32 model is quantised first, with
 * scales calibrated on seeded uniform inputs from {@code --calibration-range}.
 */
@Command(name = "export", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Export a model for microcontrollers.")
public final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Target: c")
    String target;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    /** Where the model comes from: a file, or a version in a coordinator's store. */
    static final class Source {
        @Option(names = "--model", required = true, description = "Model file (ModelCodec: S16, or F32 to be quantised).")
        Path model;

        @CommandLine.ArgGroup(exclusive = false)
        Stored stored;
    }

    /** A version in a coordinator's store. */
    static final class Stored {
        @Option(names = "--store", required = true, description = "A coordinator's store directory (its signed versions).")
        Path store;

        @Option(names = "--model-id", defaultValue = "sine", description = "Model id in the store (default: ${DEFAULT-VALUE}).")
        String modelId;

        @Option(names = "--model-version", defaultValue = "latest", paramLabel = "N|latest",
                description = "Version in the store (default: ${DEFAULT-VALUE}).")
        String version;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--name", defaultValue = "model", description = "C identifier of the model (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--calibration-range", defaultValue = "-5:5",
            description = "For F32 models: input range LO:HI of the calibration samples (default: ${DEFAULT-VALUE}).")
    String range;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the calibration samples and of the device's "
            + "rounding generator (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--train", description = "Lay the arena out for on-device training (tf_train_step_s16).")
    boolean train;

    @Option(names = "--lr", defaultValue = "0.02", description = "Learning rate of the training step (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--trainable-layers", defaultValue = "2147483647",
            description = "Parametrised layers trained, from the output (default: all).")
    int trainableLayers;

    @Option(names = "--uplink-residual", description = "With --train: plan the residual of compressed updates in the "
            + "arena, for tf_compress_s16 (two bytes per parameter and one word).")
    boolean uplinkResidual;

    @Override
    public Integer call() throws Exception {
        if (!"c".equals(target)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "unknown target '" + target + "' (supported: c)");
        }
        String model;
        Model m;
        if (source.model != null) {
            model = source.model.toString();
            m = ModelCodec.decode(Files.readAllBytes(source.model));
        } else {
            Stored st = source.stored;
            io.tinyfed.coordinator.store.ModelStore.Version v = StoredModels.find(spec, st.store, st.modelId, st.version);
            m = StoredModels.verifiedModel(st.store, v);
            model = st.modelId + " version " + v.version();
            System.out.printf("%s from %s: signature verified against %s%n", model, st.store,
                    io.tinyfed.coordinator.store.CoordinatorKeys.trustFile(st.store));
        }
        if (m.format() == NumberFormat.F32) {
            double[] lohi = calibrationRange();
            m = CExport.toS16(m, lohi[0], lohi[1], seed);
            System.out.printf("quantised %s to S16 on %d inputs uniform in [%s, %s] (seed %d)%n", model,
                    CExport.CALIBRATION_SAMPLES, lohi[0], lohi[1], seed);
        }
        io.tinyfed.core.TrainingConfig config = train ? io.tinyfed.core.TrainingConfig.builder().learningRate(lr)
                .trainableLayers(trainableLayers).seed(seed).uplinkResidual(uplinkResidual).build()
                : io.tinyfed.core.TrainingConfig.inference();
        if (uplinkResidual && !train) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--uplink-residual needs --train: a device "
                    + "compresses the updates it trains");
        }
        long arena = CExport.export(m, name, out, config);
        // The S16 model the firmware holds: what ./tinyfed bridge serial --model needs.
        Files.write(out.resolve(name + ".tfm"), io.tinyfed.core.ModelCodec.encode(m));
        System.out.printf("wrote %s: %s.h/.c and %s.tfm (%s, %d parameters), the runtime; arena %d B (%s_ARENA_BYTES)%n",
                out, name, name, m.architecture().name(), m.parameterCount(), arena, name.toUpperCase(java.util.Locale.ROOT));
        return 0;
    }

    /** {@code --calibration-range LO:HI} as two finite numbers with LO < HI; a usage error saying so otherwise. */
    private double[] calibrationRange() {
        try {
            return CExport.range(range);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--calibration-range " + e.getMessage());
        }
    }

    public static void main(String[] args) {
        System.exit(io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new ExportCommand())).execute(args));
    }
}
