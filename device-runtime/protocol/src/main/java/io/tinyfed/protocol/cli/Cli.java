package io.tinyfed.protocol.cli;

import picocli.CommandLine;

/**
 * What every {@code tinyfed} command that talks to a fleet shares on the command line: how mistakes
 * and failures are reported, and secrets read from environment variables.
 */
public final class Cli {
    private Cli() {
    }

    /** {@code --version} of every TinyFed command: {@code tinyfed VERSION}. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"tinyfed " + io.tinyfed.core.Version.current()};
        }
    }

    /**
     * {@code cli} with TinyFed's error handling: a usage mistake is what is wrong plus where the
     * options are (not the whole usage text); a failure is one line and exit code 1
     * ({@code TINYFED_DEBUG=1} adds the stack trace).
     */
    public static CommandLine withErrorHandling(CommandLine cli) {
        String root = "tinyfed " + cli.getCommandName();
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("tinyfed " + cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr())) {
                cmd.getErr().println("Run 'tinyfed " + cmd.getCommandSpec().qualifiedName() + " --help' for its options.");
            }
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(root + ": " + describe(e));
            if (System.getenv("TINYFED_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cli;
    }

    /** The failure and, when it names something its message does not (a TLS or I/O detail), its cause. */
    static String describe(Throwable e) {
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && !message.contains(cause.getMessage())) {
            message += ": " + cause.getMessage();
        }
        return message;
    }

    /**
     * The value of environment variable {@code variable}, named by option {@code flag}; a usage
     * error that says so when it is unset.
     */
    public static String environmentSecret(CommandLine.Model.CommandSpec spec, String flag, String variable) {
        String value = System.getenv(variable);
        if (value == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), flag + ": environment variable " + variable
                    + " is not set; export it before running the command");
        }
        return value;
    }
}
