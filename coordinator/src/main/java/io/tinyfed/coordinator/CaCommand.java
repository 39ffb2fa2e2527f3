package io.tinyfed.coordinator;

import io.tinyfed.coordinator.broker.FleetCa;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tinyfed coordinator ca init|issue}: the fleet's certificate authority, for the embedded
 * broker's TLS listener and for any MQTT broker (Mosquitto's {@code cafile}, {@code certfile},
 * {@code keyfile} take these files as they are).
 */
@Command(name = "ca", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "The fleet's certificate authority: "
        + "broker and device certificates for MQTT over TLS.", subcommands = {CaCommand.Init.class, CaCommand.Issue.class})
final class CaCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say what to do: ca init or ca issue");
    }

    @Command(name = "init", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Create a fleet CA (ca.crt, owner-only ca.key).")
    static final class Init implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "Directory of the CA (created; must not hold one).")
        Path dir;

        @Option(names = "--name", defaultValue = "TinyFed fleet CA", description = "The CA's common name (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(names = "--days", defaultValue = "3650", description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() throws Exception {
            FleetCa ca = FleetCa.init(dir, name, Duration.ofDays(days));
            System.out.printf("fleet CA %s: %s (give it to every client as --tls-ca); key %s (keep it offline)%n",
                    name, ca.certificateFile(), dir.resolve(FleetCa.CA_KEY));
            return 0;
        }
    }

    @Command(name = "issue", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Issue a device certificate (or, with "
            + "--server, the broker's): NAME.crt (with the CA) and owner-only NAME.key, PEM.")
    static final class Issue implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "Directory of the CA (tinyfed coordinator ca init).")
        Path dir;

        @Option(names = "--name", required = true, description = "Device id (the certificate's common name, which "
                + "must equal the device's MQTT client id), or the broker's name with --server.")
        String name;

        @Option(names = "--server", description = "A broker certificate (server authentication) instead of a device's.")
        boolean server;

        @Option(names = "--host", split = ",", description = "With --server: the DNS names and IP addresses devices "
                + "dial (e.g. gateway.local,192.168.1.10).")
        List<String> hosts = new ArrayList<>();

        @Option(names = "--days", defaultValue = "825", description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--out", description = "Output directory (default: the CA directory).")
        Path out;

        @Option(names = "--p12-password-env", description = "Also write NAME.p12 (PKCS#12), protected by the password in "
                + "this environment variable.")
        String p12PasswordEnv;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (!server && !hosts.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--host names a broker's addresses: add --server");
            }
            char[] p12 = p12PasswordEnv == null ? null
                    : io.tinyfed.protocol.cli.Cli.environmentSecret(spec, "--p12-password-env", p12PasswordEnv).toCharArray();
            FleetCa.Issued issued = FleetCa.load(dir).issue(name, hosts, server, Duration.ofDays(days),
                    out != null ? out : dir, p12);
            System.out.printf("%s certificate for %s: %s, key %s%s%n", server ? "broker" : "device", name,
                    issued.certificate(), issued.key(), issued.pkcs12() == null ? "" : ", PKCS#12 " + issued.pkcs12());
            return 0;
        }
    }
}
