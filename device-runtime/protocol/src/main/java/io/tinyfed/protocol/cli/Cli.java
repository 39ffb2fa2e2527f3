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

    /**
     * The bind failure somewhere in {@code e}'s cause chain (a listener whose port is taken, however deep a server
     * library wrapped it); empty when there is none.
     */
    public static java.util.Optional<java.net.BindException> bindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException bind) {
                return java.util.Optional.of(bind);
            }
        }
        return java.util.Optional.empty();
    }

    /** The failure and, when it names something its message does not (a TLS or I/O detail), its cause. */
    static String describe(Throwable e) {
        if (e instanceof java.nio.file.NoSuchFileException missing) {
            return missing.getFile() + ": no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException denied) {
            return denied.getFile() + ": permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            return fs.getFile() + ": " + fs.getReason();
        }
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
     * the file. A key that names no option, a value of the wrong type, or a file that cannot be read
     * is a usage error naming the file and the key.
     */
    public static int execute(CommandLine cli, String[] args) {
        return execute(cli, args, Cli::propertiesFile);
    }

    /** Where a command's option defaults come from, given the {@code --config} file (null without one). */
    @FunctionalInterface
    public interface DefaultsSource {
        OptionDefaults load(CommandLine.Model.CommandSpec spec, Path configFile) throws OptionDefaults.Invalid;
    }

    /**
     * Runs {@code cli} on {@code args} with the option defaults {@code source} loads (flags override them); an
     * invalid source is a usage error: one line naming the file or variable and the key.
     */
    public static int execute(CommandLine cli, String[] args, DefaultsSource source) {
        String file = configFile(args);
        try {
            cli.setDefaultValueProvider(source.load(cli.getCommandSpec(), file == null ? null : Path.of(file)));
        } catch (OptionDefaults.Invalid e) {
            cli.getErr().println("tinyfed " + cli.getCommandSpec().qualifiedName() + ": " + e.getMessage());
            return cli.getCommandSpec().exitCodeOnInvalidInput();
        }
        return cli.execute(args);
    }

    /**
     * The option defaults in properties file {@code file} (keys: the long option names without {@code --}); none when
     * {@code file} is null.
     */
    public static OptionDefaults propertiesFile(CommandLine.Model.CommandSpec spec, Path file) throws OptionDefaults.Invalid {
        java.util.Map<String, OptionDefaults.Value> values = new java.util.LinkedHashMap<>();
        if (file != null) {
            String source = OptionDefaults.OPTION + " " + file;
            java.util.Properties properties = new java.util.Properties();
            try (java.io.Reader in = java.nio.file.Files.newBufferedReader(file)) {
                properties.load(in);
            } catch (java.io.IOException | IllegalArgumentException e) {
                throw OptionDefaults.unreadable(source, e);
            }
            for (String key : properties.stringPropertyNames()) {
                values.put(key, new OptionDefaults.Value(key, properties.getProperty(key).strip(), source));
            }
        }
        return OptionDefaults.of(spec, values, "the keys are the options without '--'");
    }

    private static String configFile(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                return null;
            }
            if (args[i].equals(OptionDefaults.OPTION) && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith(OptionDefaults.OPTION + "=")) {
                return args[i].substring(OptionDefaults.OPTION.length() + 1);
            }
        }
        return null;
    }

    /**
     * Values of a command's options from outside its command line (a configuration file, the environment),
     * offered to picocli as defaults, so flags override them. Only the command's own options take them, not
     * its subcommands'.
     */
    public static final class OptionDefaults implements CommandLine.IDefaultValueProvider {
        /** The option naming the configuration file. */
        public static final String OPTION = "--config";

        /**
         * One value: {@code key} as its source spells it, {@code text} the value, {@code source} where it was
         * found ({@code --config FILE}, {@code environment variable NAME}), for messages.
         */
        public record Value(String key, String text, String source) {
        }

        /** A configuration that cannot be used; its message names the source and the key. */
        public static final class Invalid extends Exception {
            public Invalid(String message) {
                super(message);
            }
        }

        private final CommandLine.Model.CommandSpec spec;
        private final java.util.Map<String, Value> values;

        private OptionDefaults(CommandLine.Model.CommandSpec spec, java.util.Map<String, Value> values) {
            this.spec = spec;
            this.values = values;
        }

        /**
         * The defaults {@code values} give, keyed by long option name without {@code --}; a name that is no
         * option of {@code spec}, or a value its option's type cannot take, is refused by name ({@code keysHint}
         * says how keys are spelled in the message that lists them).
         */
        public static OptionDefaults of(CommandLine.Model.CommandSpec spec, java.util.Map<String, Value> values,
                                        String keysHint) throws Invalid {
            java.util.Map<String, CommandLine.Model.OptionSpec> options = new java.util.TreeMap<>();
            for (CommandLine.Model.OptionSpec option : spec.options()) {
                String name = option.longestName();
                if (name.startsWith("--") && !name.equals(OPTION) && !option.usageHelp() && !option.versionHelp()) {
                    options.put(name.substring(2), option);
                }
            }
            for (java.util.Map.Entry<String, Value> e : values.entrySet()) {
                Value v = e.getValue();
                CommandLine.Model.OptionSpec option = options.get(e.getKey());
                if (option == null) {
                    throw new Invalid(v.source() + ": unknown key '" + v.key() + "'; " + keysHint + ": "
                            + String.join(", ", options.keySet()));
                }
                String problem = typeProblem(option.type(), v.text());
                if (problem != null) {
                    throw new Invalid(v.source() + ": " + v.key() + " '" + v.text() + "' is not " + problem);
                }
            }
            return new OptionDefaults(spec, java.util.Map.copyOf(values));
        }

        /** What a value of {@code type} must be, when {@code text} is not one; null when it is (or unchecked). */
        private static String typeProblem(Class<?> type, String text) {
            try {
                if (type == int.class || type == Integer.class) {
                    Integer.parseInt(text);
                } else if (type == long.class || type == Long.class) {
                    Long.parseLong(text);
                } else if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
                    Double.parseDouble(text);
                } else if ((type == boolean.class || type == Boolean.class)
                        && !text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
                    return "true or false";
                }
                return null;
            } catch (NumberFormatException e) {
                return type == int.class || type == Integer.class || type == long.class || type == Long.class
                        ? "a whole number" : "a number";
            }
        }

        /** A configuration file that cannot be read, said the way a user can act on. */
        public static Invalid unreadable(String source, Exception e) {
            if (e instanceof java.nio.file.NoSuchFileException) {
                return new Invalid(source + ": no such file");
            }
            if (e instanceof java.nio.file.AccessDeniedException) {
                return new Invalid(source + ": permission denied");
            }
            return new Invalid(source + ": cannot read it (" + e.getMessage() + ")");
        }

        @Override
        public String defaultValue(CommandLine.Model.ArgSpec arg) {
            if (arg.command() == spec && arg instanceof CommandLine.Model.OptionSpec option
                    && option.longestName().startsWith("--")) {
                Value value = values.get(option.longestName().substring(2));
                return value == null ? null : value.text();
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
     * A model version named on the command line by {@code flag}: empty for {@code latest}, else its number; a usage
     * error saying what is expected otherwise.
     */
    public static java.util.OptionalLong modelVersion(CommandLine.Model.CommandSpec spec, String flag, String text) {
        if (text.equals("latest")) {
            return java.util.OptionalLong.empty();
        }
        if (!text.matches("\\d{1,18}")) {
            throw new CommandLine.ParameterException(spec.commandLine(), flag + " " + text + ": a version number or latest");
        }
        return java.util.OptionalLong.of(Long.parseLong(text));
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
