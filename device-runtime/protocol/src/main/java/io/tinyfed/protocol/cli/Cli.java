package io.tinyfed.protocol.cli;

import java.nio.file.Path;
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

    /**
     * Runs {@code cli} on {@code args}, taking the values of options not given on the command line
     * from the file named by {@code --config FILE} (a properties file whose keys are the command's
     * long option names without the dashes: {@code broker=ssl://gateway.local:8883}). Flags override
     * the file. A key that names no option, or a file that cannot be read, is a usage error naming
     * the file and the key.
     */
    public static int execute(CommandLine cli, String[] args) {
        String file = configFile(args);
        if (file != null) {
            try {
                cli.setDefaultValueProvider(ConfigFile.read(Path.of(file), cli.getCommandSpec()));
            } catch (ConfigFile.Invalid e) {
                cli.getErr().println("tinyfed " + cli.getCommandSpec().qualifiedName() + ": --config " + file + ": "
                        + e.getMessage());
                return cli.getCommandSpec().exitCodeOnInvalidInput();
            }
        }
        return cli.execute(args);
    }

    private static String configFile(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                return null;
            }
            if (args[i].equals(ConfigFile.OPTION) && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith(ConfigFile.OPTION + "=")) {
                return args[i].substring(ConfigFile.OPTION.length() + 1);
            }
        }
        return null;
    }

    /** The values of a {@code --config} file, offered to picocli as defaults. */
    static final class ConfigFile implements CommandLine.IDefaultValueProvider {
        static final String OPTION = "--config";

        static final class Invalid extends Exception {
            Invalid(String message) {
                super(message);
            }
        }

        private final java.util.Properties values;

        private ConfigFile(java.util.Properties values) {
            this.values = values;
        }

        static ConfigFile read(Path file, CommandLine.Model.CommandSpec spec) throws Invalid {
            java.util.Properties values = new java.util.Properties();
            try (java.io.Reader in = java.nio.file.Files.newBufferedReader(file)) {
                values.load(in);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new Invalid("no such file");
            } catch (java.nio.file.AccessDeniedException e) {
                throw new Invalid("permission denied");
            } catch (java.io.IOException | IllegalArgumentException e) {
                throw new Invalid("cannot read it (" + e.getMessage() + ")");
            }
            java.util.Set<String> keys = new java.util.TreeSet<>();
            for (CommandLine.Model.OptionSpec option : spec.options()) {
                String name = option.longestName();
                if (name.startsWith("--") && !name.equals(OPTION) && !option.usageHelp() && !option.versionHelp()) {
                    keys.add(name.substring(2));
                }
            }
            for (String key : values.stringPropertyNames()) {
                if (!keys.contains(key)) {
                    throw new Invalid("unknown key '" + key + "'; the keys are the options without '--': "
                            + String.join(", ", keys));
                }
            }
            return new ConfigFile(values);
        }

        @Override
        public String defaultValue(CommandLine.Model.ArgSpec arg) {
            if (arg instanceof CommandLine.Model.OptionSpec option && option.longestName().startsWith("--")) {
                String value = values.getProperty(option.longestName().substring(2));
                return value == null ? null : value.strip();
            }
            return null;
        }
    }

    /**
     * {@code uri} as an MQTT broker URI ({@code tcp://}, {@code ssl://}, {@code ws://} or {@code wss://} with
     * host and port); a usage error naming {@code flag} with an example otherwise.
     */
    public static String brokerUri(CommandLine.Model.CommandSpec spec, String flag, String uri) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(tcp|ssl|ws|wss)://([^/:]+|\\[[0-9a-fA-F:.]+]):(\\d{1,5})(/.*)?")
                .matcher(uri);
        if (!m.matches() || Integer.parseInt(m.group(3)) > 65535) {
            String hint = uri.contains("://") ? "" : " (no scheme)";
            throw new CommandLine.ParameterException(spec.commandLine(), flag + " " + uri + ": not a broker URI" + hint
                    + "; give scheme, host and port, e.g. tcp://127.0.0.1:1884 or ssl://gateway.local:8883");
        }
        return uri;
    }

    /**
     * The coordinator keys in trust file {@code file} (option {@code flag}); a usage error that says what is
     * wrong with the file otherwise.
     */
    public static java.util.Map<String, java.security.PublicKey> trustedKeys(CommandLine.Model.CommandSpec spec,
                                                                           String flag, Path file) {
        try {
            return io.tinyfed.protocol.TrustedKeys.read(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), flag + " " + file + ": no such file (the "
                    + "coordinator writes it as STORE/keys/trust.keys)");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), flag + " " + file + ": permission denied");
        } catch (java.io.IOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), flag + " " + file + ": not a trust file ("
                    + e.getMessage().replace(file + ":", "line ").replace(file.toString(), "it")
                    + "); use the coordinator's STORE/keys/trust.keys");
        }
    }

    /**
     * The constant of {@code type} named {@code value} (any case, {@code -} for {@code _}); a usage error
     * naming {@code flag} and listing the choices otherwise.
     */
    public static <E extends Enum<E>> E choice(CommandLine.Model.CommandSpec spec, String flag, Class<E> type, String value) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value.replace('-', '_'))) {
                return e;
            }
        }
        throw new CommandLine.ParameterException(spec.commandLine(), flag + " " + value + ": not one of "
                + java.util.Arrays.stream(type.getEnumConstants())
                        .map(e -> e.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                        .collect(java.util.stream.Collectors.joining(", ")));
    }
}
