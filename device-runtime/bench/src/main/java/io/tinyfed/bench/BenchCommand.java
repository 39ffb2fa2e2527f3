package io.tinyfed.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tinyfed bench ...}: benchmarks that print a table and optionally write metrics JSON. */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.bench.BenchCommand.Version.class, subcommands = {RuntimeBench.class},
        description = "Benchmarks of TinyFed components.")
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
