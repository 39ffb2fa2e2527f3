package io.tinyfed.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tinyfed bench ...}: benchmarks that print a table and optionally write metrics JSON. */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.bench.BenchCommand.Version.class, subcommands = {RuntimeBench.class},
        description = "Benchmarks of TinyFed components.",
        footer = {"", "Every benchmark (each takes --help; most take --quick and --json FILE):",
                "  runtime      speed, allocation, arena and S16-vs-F32 accuracy of the device runtime",
                "  coordinator  aggregation throughput, wire size, round latency, federated vs central Reptile",
                "  registry     registration rate and matchmaking latency at 10,000 devices",
                "  firmware     C export: parity with the Java S16 engine, Cortex-M4 footprint"})
public final class BenchCommand implements Runnable {
    /** {@code --version}: {@code tinyfed VERSION} (this module has picocli but not the protocol's command-line helpers). */
    public static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"tinyfed " + io.tinyfed.core.Version.current()};
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }
}
