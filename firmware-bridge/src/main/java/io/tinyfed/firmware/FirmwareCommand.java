package io.tinyfed.firmware;

import io.tinyfed.core.Model;
import io.tinyfed.core.ModelCodec;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.export.CExport;
import io.tinyfed.firmware.serial.SerialBridge;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./tinyfed firmware build|run}: TinyFed's serial firmware for a Cortex-M4 board, built from a model with
 * arm-none-eabi-gcc, and run on QEMU's MPS2 AN386 with its UART bridged into a fleet, so anyone can watch an
 * emulated MCU take part in training.
 */
@Command(name = "firmware", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
        description = "Build TinyFed's Cortex-M4 firmware from a model, and run it on an emulated board in the fleet.",
        subcommands = {FirmwareCommand.Build.class, FirmwareCommand.Run.class})
public final class FirmwareCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "give a subcommand: build or run");
    }

    /** What the image is made of and for which device. */
    static final class ImageOptions {
        @Option(names = "--model", required = true, description = "Model file (S16, or F32 to be quantised).")
        Path model;

        @Option(names = "--calibration-range", defaultValue = "-5:5", description = "For F32 models: the range LO:HI of "
                + "the model's inputs, to quantise on (default: ${DEFAULT-VALUE}).")
        String range;

        @Option(names = "--lr", defaultValue = "0.02", description = "Exported learning rate: live learning uses it; "
                + "rounds and installs use their own (default: ${DEFAULT-VALUE}).")
        float lr;

        @Option(names = "--id", defaultValue = "m4-1", description = "The device's id (default: ${DEFAULT-VALUE}).")
        String id;

        @Option(names = "--amplitude", defaultValue = "1.0", description = "Its sensor: amplitude of its sine task.")
        double amplitude;

        @Option(names = "--phase", defaultValue = "0.0", description = "Its sensor: phase of its sine task.")
        double phase;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of its sample generator and of its rounding "
                + "(default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--out", description = "Build directory (default: a new temporary one).")
        Path out;

        @Option(names = "--uplink-residual", description = "The device compresses its updates itself when a task asks "
                + "for the top of its delta (tf_compress_s16), keeping the residual in its arenas: two bytes more per "
                + "parameter in each (default: the gateway compresses them and keeps the residual).")
        boolean uplinkResidual;

        /** The S16 model the firmware holds. */
        Model s16(CommandLine.Model.CommandSpec spec) throws java.io.IOException {
            if (!Files.isRegularFile(model)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--model " + model + ": no such file");
            }
            double[] lohi;
            try {
                lohi = CExport.range(range);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--calibration-range " + e.getMessage());
            }
            try {
                return CExport.toS16(ModelCodec.decode(Files.readAllBytes(model)), lohi[0], lohi[1], seed);
            } catch (IllegalArgumentException | io.tinyfed.core.ModelFormatException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--model " + model + ": " + e.getMessage());
            }
        }

        FirmwareImage build(CommandLine.Model.CommandSpec spec, Model s16) throws Exception {
            FirmwareImage.Device device;
            try {
                device = new FirmwareImage.Device(id, amplitude, phase, seed);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            if (!(lr > 0 && lr < 10)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--lr " + lr + ": a learning rate in (0, 10)");
            }
            Path dir = out != null ? out : Files.createTempDirectory("tinyfed-firmware");
            TrainingConfig config = TrainingConfig.builder().learningRate(lr).seed(seed).uplinkResidual(uplinkResidual)
                    .build();
            FirmwareImage image = FirmwareImage.build(s16, config, device, dir);
            System.out.printf(Locale.ROOT, "built %s for %s (Cortex-M4, MPS2 AN386): flash %,d B, RAM %,d B without the "
                    + "stack (three model arenas of %,d B)%n", image.elf(), id, image.flashBytes(), image.ramBytes(),
                    image.arenaBytes());
            return image;
        }
    }

    @Command(name = "build", mixinStandardHelpOptions = true, description = "Build the firmware image (firmware.elf).")
    static final class Build implements Callable<Integer> {
        @CommandLine.Mixin
        ImageOptions image = new ImageOptions();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            image.build(spec, image.s16(spec));
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Build the firmware, boot it on QEMU's MPS2 "
            + "AN386 (a Cortex-M4 board) and bridge its UART into the fleet until interrupted.")
    static final class Run implements Callable<Integer> {
        @CommandLine.Mixin
        ImageOptions image = new ImageOptions();

        @CommandLine.Mixin
        GatewayOptions gateway = new GatewayOptions();

        @CommandLine.Mixin
        io.tinyfed.protocol.cli.LogOptions logging = new io.tinyfed.protocol.cli.LogOptions();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            logging.applyToJavaLogging();
            Model s16 = image.s16(spec);
            FirmwareImage built = image.build(spec, s16);
            try (EmulatedMcu mcu = EmulatedMcu.boot(built, built.elf().getParent());
                 SerialBridge bridge = gateway.bridge(spec, mcu.in(), mcu.out(), s16).start()) {
                System.out.printf("%s booted on qemu-system-arm -M mps2-an386 (its UART on 127.0.0.1:%d), bridged to %s "
                        + "(fleet %s) as gateway %s; its log: %s%n", image.id, mcu.port(), gateway.broker, gateway.fleet,
                        gateway.gateway(), mcu.uartLog());
                Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("stopping: "
                        + GatewayOptions.summary(bridge)), "tinyfed-firmware-summary"));
                while (mcu.isAlive() && bridge.link().isOpen()) {
                    Thread.sleep(500);
                }
                System.out.println("the emulated board stopped: " + GatewayOptions.summary(bridge));
            }
            return 1;
        }
    }

    public static void main(String[] args) {
        System.exit(io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new FirmwareCommand())).execute(args));
    }
}
