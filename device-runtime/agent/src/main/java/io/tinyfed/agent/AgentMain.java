package io.tinyfed.agent;

import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.protocol.mqtt.TlsOptions;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.TrustedKeys;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tinyfed agent}: runs one device or gateway agent until interrupted. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run a TinyFed device agent: learn online, join federated Reptile rounds over MQTT.")
public final class AgentMain implements Callable<Integer> {
    @Option(names = "--broker", required = true, description = "MQTT 5 broker URI, e.g. tcp://127.0.0.1:1884, or "
            + "ssl://gateway.local:8883 with --tls-ca")
    String broker;

    @CommandLine.Mixin
    TlsOptions tls = new TlsOptions();

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

    @Option(names = "--username", description = "Broker user name (the device id when omitted and a password is given).")
    String username;

    @Option(names = "--password-env", description = "Environment variable holding the broker password.")
    String passwordEnv;

    @Option(names = "--lr", defaultValue = "0.005", description = "Online learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--buffer", defaultValue = "64", description = "Recent samples kept (default: ${DEFAULT-VALUE}).")
    int buffer;

    @Option(names = "--sample-ms", defaultValue = "20", description = "Data source polling period (default: ${DEFAULT-VALUE} ms).")
    long sampleMs;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the stochastic rounding (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        char[] password = null;
        if (passwordEnv != null) {
            String value = System.getenv(passwordEnv);
            if (value == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--password-env: environment variable "
                        + passwordEnv + " is not set; export it before starting the agent");
            }
            password = value.toCharArray();
        }
        if (tls.files() != null && !broker.startsWith("ssl://")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--tls-ca/--tls-cert/--tls-key need a TLS "
                    + "broker URI: ssl://HOST:PORT (the coordinator's --tls-listen)");
        }
        String user = username != null ? username : (password != null ? id : null);
        Agent.Settings settings = new Agent.Settings(fleet, id, HardwareProfile.load(profile), lr, buffer,
                Duration.ofMillis(sampleMs), 500, seed, AgentMain.class.getPackage().getImplementationVersion() == null
                ? "dev" : AgentMain.class.getPackage().getImplementationVersion());
        Agent agent = new Agent(settings, new PahoTransport(broker, id, user, password, tls.files()), DataSources.parse(data),
                new SnapshotVerifier(TrustedKeys.read(trust)), Clock.systemUTC());
        // The hook does the graceful part (offline state, disconnect) while the JVM stops on SIGINT/SIGTERM.
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "tinyfed-agent-shutdown"));
        agent.start();
        System.out.printf("agent %s of fleet %s connected to %s (%s profile); Ctrl-C stops%n", id, fleet, broker,
                settings.profile().name());
        new CountDownLatch(1).await();
        return 0;
    }

    /**
     * The command with its error handling: a usage mistake is what is wrong plus where the options
     * are; a failure is one line and exit code 1 ({@code TINYFED_DEBUG=1} adds the stack trace).
     */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new AgentMain());
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("tinyfed agent: " + e.getMessage());
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr())) {
                cmd.getErr().println("Run 'tinyfed agent --help' for its options.");
            }
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("tinyfed agent: " + describe(e));
            if (System.getenv("TINYFED_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cli;
    }

    /** The failure and, when it names something its message does not (a TLS or I/O detail), its cause. */
    private static String describe(Throwable e) {
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && !message.contains(cause.getMessage())) {
            message += ": " + cause.getMessage();
        }
        return message;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
