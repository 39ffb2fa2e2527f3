package io.tinyfed.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tinyfed bench ...}: benchmarks that print a table and optionally write metrics JSON. */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = {RuntimeBench.class},
        description = "Benchmarks of TinyFed components.")
public final class BenchCommand implements Runnable {
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
