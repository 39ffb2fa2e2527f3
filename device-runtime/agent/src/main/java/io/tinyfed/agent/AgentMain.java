package io.tinyfed.agent;

import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.protocol.mqtt.TlsOptions;
import io.tinyfed.protocol.SnapshotVerifier;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tinyfed agent}: runs one device or gateway agent until interrupted. */
@Command(name = "agent", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
        description = "Run a TinyFed device agent: learn online, join federated Reptile rounds over MQTT.")
public final class AgentMain implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "Take options not given here from this "
            + "properties file: its keys are the option names without '--' (broker=ssl://gateway.local:8883).")
    Path config;

    @Option(names = "--broker", required = true, description = "MQTT 5 broker URI, e.g. tcp://127.0.0.1:1884, or "
            + "ssl://gateway.local:8883 with --tls-ca")
    String broker;

    @CommandLine.Mixin
    TlsOptions tls = new TlsOptions();

    @CommandLine.Mixin
    io.tinyfed.protocol.cli.LogOptions logging = new io.tinyfed.protocol.cli.LogOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--fleet", required = true, description = "Fleet id.")
    String fleet;

    @Option(names = "--id", required = true, description = "Device id (also the MQTT client id).")
    String id;

    @Option(names = "--data", required = true,
            description = "Data source: sine:AMPLITUDE,PHASE[,SEED] | csv:PATH:INPUTS | stdin:INPUTS")
    String data;

    @Option(names = "--trust", required = true, description = "File of trusted coordinator keys (keyId base64-key per line).")
    Path trust;

    @Option(names = "--profile", defaultValue = "cortex-m4",
            description = "Hardware profile: cortex-m4, cortex-m0, gateway or a .properties file (default: ${DEFAULT-VALUE}).")
    String profile;

    @Option(names = "--sensors", split = ",", paramLabel = "PROPERTY", description = "Observable properties this "
            + "device's sensors measure, e.g. temperature,humidity (default: the profile's).")
    java.util.List<String> sensors;

    @Option(names = "--username", description = "Broker user name (the device id when omitted and a password is given).")
    String username;

    @Option(names = "--password-env", description = "Environment variable holding the broker password.")
    String passwordEnv;

    @Option(names = "--password-file", description = "File holding the broker password (its first line; keep it "
            + "readable by the agent's user only).")
    Path passwordFile;

    @Option(names = "--lr", defaultValue = "0.005", description = "Online learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--buffer", defaultValue = "64", description = "Recent samples kept (default: ${DEFAULT-VALUE}).")
    int buffer;

    @Option(names = "--sample-ms", defaultValue = "20", description = "Data source polling period (default: ${DEFAULT-VALUE} ms).")
    long sampleMs;

    @Option(names = "--state", description = "Directory that keeps the deployed model versions across restarts "
            + "(default: none, a restart serves the latest meta-model until the next deploy).")
    Path state;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the stochastic rounding (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--predictions", description = "Publish what the served model outputs for every live sample on "
            + "device/ID/prediction (not retained).")
    boolean predictions;

    @Override
    public Integer call() throws Exception {
        logging.applyToJavaLogging();
        Agent agent = agent();
        // The hook does the graceful part (offline state, disconnect) while the JVM stops on SIGINT/SIGTERM.
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "tinyfed-agent-shutdown"));
        agent.startWhenReachable(message -> System.err.printf("agent %s: %s%n", id, message));
        System.out.printf("agent %s of fleet %s connected to %s (%s profile); Ctrl-C stops%n", id, fleet, broker,
                agent.settings().profile().name());
        new CountDownLatch(1).await();
        return 0;
    }

    /**
     * The agent these options describe, not started yet.
     *
     * @throws CommandLine.ParameterException naming the option that is wrong
     */
    Agent agent() throws Exception {
        if (passwordEnv != null && passwordFile != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give the broker password one way: "
                    + "--password-env or --password-file");
        }
        char[] password = passwordFile != null ? readPassword(spec, passwordFile) : passwordEnv == null ? null
                : io.tinyfed.protocol.cli.Cli.environmentSecret(spec, "--password-env", passwordEnv).toCharArray();
        String user = username != null ? username : (password != null ? id : null);
        DataSource source;
        try {
            source = DataSources.parse(data);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--data: " + e.getMessage());
        }
        io.tinyfed.protocol.cli.Cli.brokerUri(spec, "--broker", broker);
        java.util.Map<String, java.security.PublicKey> keys = io.tinyfed.protocol.cli.Cli.trustedKeys(spec, "--trust", trust);
        HardwareProfile hardware = HardwareProfile.load(profile);
        if (sensors != null) {
            hardware = hardware.withSensors(sensors);
        }
        Agent.Settings settings = new Agent.Settings(fleet, id, hardware, lr, buffer,
                Duration.ofMillis(sampleMs), 500, seed, io.tinyfed.core.Version.current(), state);
        return new Agent(settings, new PahoTransport(broker, id, user, password, tls.filesFor(broker)), source,
                new SnapshotVerifier(keys), Clock.systemUTC()).publishPredictions(predictions);
    }

    /**
     * The agent configured by {@code config} (a properties file whose keys are the options, as for {@code --config})
     * and {@code args}, not started yet: for hosts that run the agent in their own process, such as an OSGi framework.
     *
     * @throws IllegalArgumentException with the one-line reason when the configuration is not usable
     */
    public static Agent configured(Path config, String... args) throws Exception {
        CommandLine cli = commandLine();
        try {
            cli.setDefaultValueProvider(io.tinyfed.protocol.cli.Cli.propertiesFile(cli.getCommandSpec(), config));
            cli.parseArgs(args);
            AgentMain options = cli.getCommand();
            return options.agent();
        } catch (io.tinyfed.protocol.cli.Cli.OptionDefaults.Invalid | CommandLine.ParameterException e) {
            throw new IllegalArgumentException("tinyfed agent: " + e.getMessage(), e);
        }
    }

    /** The first line of {@code file}; a usage error naming the file when it is unreadable or has none. */
    static char[] readPassword(CommandLine.Model.CommandSpec spec, Path file) {
        String first;
        try (java.io.BufferedReader in = java.nio.file.Files.newBufferedReader(file)) {
            first = in.readLine();
        } catch (java.io.IOException e) {
            String why = e instanceof java.nio.file.NoSuchFileException ? "no such file"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
            throw new CommandLine.ParameterException(spec.commandLine(), "--password-file " + file + ": cannot read it ("
                    + why + ")");
        }
        if (first == null || first.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--password-file " + file + " is empty: its "
                    + "first line is the password");
        }
        return first.toCharArray();
    }

    /** The command with TinyFed's error handling ({@link io.tinyfed.protocol.cli.Cli#withErrorHandling}). */
    static CommandLine commandLine() {
        return io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new AgentMain()));
    }

    public static void main(String[] args) {
        System.exit(io.tinyfed.protocol.cli.Cli.execute(commandLine(), args));
    }
}
