package io.tinyfed.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CoordinatorMainTest {
    @Test
    void version_isPrintedByTheCommandAndItsSubcommands() {
        for (String[] args : new String[][] {{"--version"}, {"ca", "--version"}, {"credentials", "--version"}}) {
            StringWriter out = new StringWriter();
            CommandLine cli = CoordinatorMain.commandLine();
            cli.setOut(new PrintWriter(out));

            int exit = cli.execute(args);

            assertThat(exit).isZero();
            assertThat(out.toString().trim()).isEqualTo("tinyfed " + io.tinyfed.core.Version.current())
                    .doesNotContain("dev");
        }
        StringWriter out = new StringWriter();
        CommandLine deploy = DeployCommand.commandLine();
        deploy.setOut(new PrintWriter(out));
        assertThat(deploy.execute("create", "--version")).isZero();
        assertThat(deploy.execute("status", "--version")).isZero();
        assertThat(out.toString()).contains("tinyfed " + io.tinyfed.core.Version.current());
    }

    @Test
    void anUnsetPasswordVariable_isAUsageErrorThatNamesTheFlag(@TempDir Path dir) {
        String unset = "TINYFED_TEST_UNSET_" + Long.toHexString(System.nanoTime());
        StringWriter err = new StringWriter();
        CommandLine cli = CoordinatorMain.commandLine();
        cli.setErr(new PrintWriter(err));

        int exit = cli.execute("--store", dir.resolve("store").toString(), "--broker", "tcp://127.0.0.1:1",
                "--broker-password-env", unset);

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).startsWith("tinyfed coordinator: --broker-password-env: environment variable "
                + unset + " is not set").doesNotContain("Exception");
        assertThat(err.toString().lines()).hasSize(2).last().asString().contains("--help");
        assertThat(Files.exists(dir.resolve("store"))).as("nothing started").isFalse();
    }

    @Test
    void aTlsListenerWithoutDeviceAuthentication_isRefusedBeforeAnythingStarts(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine cli = CoordinatorMain.commandLine();
        cli.setErr(new PrintWriter(err));

        int exit = cli.execute("--store", dir.resolve("store").toString(), "--tls-listen", "0",
                "--tls-server-cert", dir.resolve("b.crt").toString(), "--tls-server-key", dir.resolve("b.key").toString());

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("devices must authenticate").contains("--tls-device-ca");
        assertThat(Files.exists(dir.resolve("store"))).as("nothing started").isFalse();
    }

    @Test
    void anHttpsListenerWithoutItsCertificateOrWithABadAddress_isRefusedBeforeAnythingStarts(@TempDir Path dir)
            throws Exception {
        Path cert = Files.writeString(dir.resolve("api.crt"), "x");
        String[][] cases = {{"--https-listen", "0"}, {"--https-listen", "0", "--tls-server-cert", cert.toString(),
            "--tls-server-key", dir.resolve("missing.key").toString()}, {"--https-listen", "host:port",
            "--tls-server-cert", cert.toString(), "--tls-server-key", cert.toString()}};
        String[] expected = {"--https-listen needs a certificate and key", "--tls-server-key " + dir.resolve("missing.key")
                + ": not a readable file", "--https-listen host:port: expected [ADDRESS:]PORT, e.g. 8443"};
        for (int k = 0; k < cases.length; k++) {
            StringWriter err = new StringWriter();
            CommandLine cli = CoordinatorMain.commandLine();
            cli.setErr(new PrintWriter(err));
            String[] args = java.util.Arrays.copyOf(new String[] {"--store", dir.resolve("store").toString()},
                    2 + cases[k].length);
            System.arraycopy(cases[k], 0, args, 2, cases[k].length);

            assertThat(cli.execute(args)).isEqualTo(2);
            assertThat(err.toString()).contains(expected[k]).doesNotContain("Exception");
            assertThat(Files.exists(dir.resolve("store"))).as("nothing started").isFalse();
        }
    }

    @Test
    void caInitThenIssue_writesPemFiles_andASecondInitIsAOneLineError(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("ca");
        assertThat(CoordinatorMain.commandLine().execute("ca", "init", "--dir", ca.toString())).isZero();
        assertThat(CoordinatorMain.commandLine().execute("ca", "issue", "--dir", ca.toString(), "--name", "broker",
                "--server", "--host", "localhost,127.0.0.1")).isZero();
        assertThat(CoordinatorMain.commandLine().execute("ca", "issue", "--dir", ca.toString(), "--name", "dev-1")).isZero();
        assertThat(ca.resolve("broker.crt")).exists();
        assertThat(ca.resolve("dev-1.key")).exists();

        StringWriter err = new StringWriter();
        CommandLine cli = CoordinatorMain.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("ca", "init", "--dir", ca.toString())).isEqualTo(1);
        assertThat(err.toString().lines().toList()).singleElement().asString().contains("already holds a fleet CA");

        StringWriter err2 = new StringWriter();
        CommandLine cli2 = CoordinatorMain.commandLine();
        cli2.setErr(new PrintWriter(err2));
        assertThat(cli2.execute("ca", "issue", "--dir", ca.toString(), "--name", "../evil")).isEqualTo(1);
        assertThat(err2.toString().lines().toList()).singleElement().asString().contains("use a device id");
    }

    @Test
    void aFailureAtStart_isOneLineWithExitCodeOne(@TempDir Path dir) throws Exception {
        Path notAModel = Files.writeString(dir.resolve("model.tfm"), "not a model");
        StringWriter err = new StringWriter();
        CommandLine cli = CoordinatorMain.commandLine();
        cli.setErr(new PrintWriter(err));

        int exit = cli.execute("--store", dir.resolve("store").toString(), "--model-file", notAModel.toString());

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString().lines().toList()).singleElement().asString().startsWith("tinyfed coordinator: ");
    }

    @Test
    void credentials_generate_printsASecretOnce_thatTheFileVerifies(@TempDir Path dir) throws Exception {
        java.io.PrintStream out = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
            exit = CoordinatorMain.commandLine().execute("credentials", "--file", dir.resolve("devices.credentials").toString(),
                    "--id", "dev-7", "--generate");
        } finally {
            System.setOut(out);
        }

        assertThat(exit).isZero();
        String secret = printed.toString(java.nio.charset.StandardCharsets.UTF_8).strip();
        assertThat(secret).hasSize(22);
        io.tinyfed.coordinator.broker.DeviceCredentials file = io.tinyfed.coordinator.broker.DeviceCredentials.read(
                dir.resolve("devices.credentials"));
        assertThat(file.verify("dev-7", secret.toCharArray())).isTrue();
        assertThat(Files.readString(dir.resolve("devices.credentials"))).doesNotContain(secret);
    }

    @Test
    void credentials_withEmptyStandardInput_isAOneLineUsageErrorAndWritesNothing(@TempDir Path dir) {
        java.io.InputStream stdin = System.in;
        StringWriter err = new StringWriter();
        CommandLine cli = CoordinatorMain.commandLine();
        cli.setErr(new PrintWriter(err));
        int exit;
        try {
            System.setIn(new java.io.ByteArrayInputStream(new byte[0]));
            exit = cli.execute("credentials", "--file", dir.resolve("devices.credentials").toString(), "--id", "dev-1");
        } finally {
            System.setIn(stdin);
        }

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString().lines().findFirst().orElseThrow()).contains("no password for dev-1")
                .contains("standard input");
        assertThat(err.toString()).doesNotContain("Exception");
        assertThat(Files.exists(dir.resolve("devices.credentials"))).isFalse();
    }

    @Test
    void anUnknownAggregation_aBadDurationBrokerPercentageOrAsyncSetting_areOneLineErrorsBeforeAnythingStarts(
            @TempDir Path dir) {
        String[][] cases = {
            {"--aggregation", "avg"}, {"--round-timeout", "30"}, {"--broker", "localhost:1883"},
            {"--expire-devices-after", "30"}, {"--expire-devices-after", "0d"}, {"--expire-devices-after", "30d", "--no-registry"},
            {"--uplink-top", "0"}, {"--downlink-top", "150"}, {"--async-concurrency", "4"}, {"--async", "0"}};
        String[] expected = {
            "--aggregation avg: not one of mean, trimmed-mean, median",
            "--round-timeout: duration '30' needs a unit, e.g. 90s, 2m, 1h or 30d",
            "--broker localhost:1883: not a broker URI (no scheme)",
            "--expire-devices-after: duration '30' needs a unit", "--expire-devices-after: it must be longer than zero",
            "--expire-devices-after removes devices from the registry: not with --no-registry",
            "--uplink-top is a percentage of the values in [0.1, 100], got 0.0",
            "--downlink-top is a percentage of the values in [0.1, 100], got 150.0",
            "--async-concurrency needs --async K", "--async K needs K >= 1"};
        for (int i = 0; i < cases.length; i++) {
            StringWriter err = new StringWriter();
            CommandLine cli = CoordinatorMain.commandLine();
            cli.setErr(new PrintWriter(err));
            String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("--store",
                    dir.resolve("store").toString()), java.util.Arrays.stream(cases[i])).toArray(String[]::new);

            int exit = cli.execute(args);

            assertThat(exit).as(String.join(" ", cases[i])).isEqualTo(2);
            assertThat(err.toString().lines().findFirst().orElseThrow()).contains(expected[i]);
            assertThat(err.toString()).doesNotContain("Exception");
        }
        assertThat(Files.exists(dir.resolve("store"))).as("nothing started").isFalse();
    }

    @Test
    void aTakenBrokerOrSparqlPort_isAUsageErrorNamingTheFlag_andTheStoreIsFreeAgain(@TempDir Path dir) throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket()) {
            taken.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            for (String flag : new String[] {"--broker-port", "--sparql-port"}) {
                StringWriter err = new StringWriter();
                CommandLine cli = CoordinatorMain.commandLine();
                cli.setErr(new PrintWriter(err));
                java.util.Map<String, String> ports = new java.util.HashMap<>(java.util.Map.of("--broker-port", "0",
                        "--sparql-port", "0", "--http-port", "0"));
                ports.put(flag, String.valueOf(port));
                java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--store", dir.resolve("store").toString()));
                ports.forEach((k, v) -> {
                    args.add(k);
                    args.add(v);
                });

                int exit = cli.execute(args.toArray(String[]::new));

                assertThat(exit).as(flag).isEqualTo(2);
                assertThat(err.toString().lines().findFirst().orElseThrow()).isEqualTo("tinyfed coordinator: " + flag + " "
                        + port + ": the port is in use; choose another with " + flag + " (0: a free one)");
            }
        }
        try (io.tinyfed.coordinator.store.StoreLock lock = io.tinyfed.coordinator.store.StoreLock.acquire(dir.resolve("store"))) {
            assertThat(lock).as("a failed start released the store").isNotNull();
        }
    }
}
