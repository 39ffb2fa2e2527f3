package io.tinyfed.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentMainTest {
    private static String[] args(Path dir, String... more) throws Exception {
        Path trust = Files.writeString(dir.resolve("trust.keys"), "");
        String[] base = {"--broker", "tcp://127.0.0.1:1", "--fleet", "f", "--id", "dev-1", "--data", "sine:1,0",
                "--trust", trust.toString()};
        String[] out = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, out, base.length, more.length);
        return out;
    }

    private static String run(int expectedExit, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = AgentMain.commandLine();
        cli.setOverwrittenOptionsAllowed(true); // a test's own --data replaces the default one
        cli.setErr(new PrintWriter(err));
        assertThat(io.tinyfed.protocol.cli.Cli.execute(cli, args)).isEqualTo(expectedExit);
        return err.toString();
    }

    @Test
    void passwordFile_thatIsMissingEmptyOrGivenWithAVariable_isAOneLineUsageError(@TempDir Path dir) throws Exception {
        String missing = run(2, args(dir, "--password-file", dir.resolve("nope").toString()));
        Path empty = Files.writeString(dir.resolve("empty"), "");
        String blank = run(2, args(dir, "--password-file", empty.toString()));
        Path secret = Files.writeString(dir.resolve("secret"), "s3cret\n");
        String both = run(2, args(dir, "--password-file", secret.toString(), "--password-env", "X"));

        assertThat(missing.lines().findFirst().orElseThrow()).contains("--password-file").contains("cannot read it (no such file)")
                .doesNotContain("Exception");
        assertThat(blank).contains("is empty: its first line is the password");
        assertThat(both).contains("give the broker password one way");
        assertThat(AgentMain.readPassword(AgentMain.commandLine().getCommandSpec(), secret)).containsExactly(
                's', '3', 'c', 'r', 'e', 't');
    }

    @Test
    void aDataSourceItCannotLearnFrom_isRefusedAtStartWithWhatIsWrong(@TempDir Path dir) throws Exception {
        Path csv = Files.writeString(dir.resolve("readings.csv"), "# header\ntemp;hum\n1.0\nx,2\n");
        String unparsed = run(2, args(dir, "--data", "csv:" + csv + ":1"));
        String missing = run(2, args(dir, "--data", "csv:" + dir.resolve("none.csv") + ":1"));
        String sine = run(2, args(dir, "--data", "sine:x,1"));

        assertThat(unparsed.lines().findFirst().orElseThrow()).contains("--data: csv:").contains("0 of 3 lines parsed")
                .contains("the first is 'temp;hum'").contains("1 input value(s)");
        assertThat(missing.lines().findFirst().orElseThrow()).contains("not a readable file");
        assertThat(sine.lines().findFirst().orElseThrow()).contains("expected sine:AMPLITUDE,PHASE[,SEED] with numbers");
        assertThat(unparsed + missing + sine).doesNotContain("Exception");
    }

    @Test
    void configFile_suppliesTheOptionsNotGiven_flagsOverrideIt_andAnUnknownKeyIsRefusedByName(@TempDir Path dir)
            throws Exception {
        Path trust = Files.writeString(dir.resolve("trust.keys"), "");
        Path config = Files.writeString(dir.resolve("dev-1.conf"), String.join("\n",
                "# a device's settings", "broker=tcp://127.0.0.1:1", "fleet=f", "id=dev-1", "trust=" + trust,
                "data=sine:x,1", "lr=0.01", ""));
        Path typo = Files.writeString(dir.resolve("typo.conf"), "brokr=tcp://127.0.0.1:1\n");

        String fromFile = run(2, "--config", config.toString());
        String overridden = run(2, "--config", config.toString(), "--data", "csv:" + dir.resolve("none.csv") + ":1");
        String unknown = run(2, "--config=" + typo);
        String missing = run(2, "--config", dir.resolve("nope.conf").toString());

        // The required options came from the file (else picocli would name them as missing); its data was used.
        assertThat(fromFile.lines().findFirst().orElseThrow()).contains("expected sine:AMPLITUDE,PHASE[,SEED]");
        assertThat(overridden.lines().findFirst().orElseThrow()).contains("not a readable file");
        assertThat(unknown.lines().findFirst().orElseThrow()).contains("--config " + typo)
                .contains("unknown key 'brokr'").contains("broker, ");
        assertThat(missing.lines().findFirst().orElseThrow()).contains("no such file");
        assertThat(fromFile + overridden + unknown + missing).doesNotContain("Exception");
    }

    @Test
    void gatewayProfile_reportsTheMachineItRunsOn_andSensorsComeFromTheOption() throws Exception {
        HardwareProfile gateway = HardwareProfile.load("gateway");

        assertThat(gateway.cpu()).isEqualTo(HostMachine.architecture(System.getProperty("os.arch")));
        if (Files.isReadable(Path.of("/proc/meminfo"))) {
            long memTotalKib = Files.readAllLines(Path.of("/proc/meminfo")).stream()
                    .filter(l -> l.startsWith("MemTotal:")).map(l -> l.replaceAll("\\D", "")).mapToLong(Long::parseLong)
                    .findFirst().orElseThrow();
            assertThat(gateway.ramBytes()).isEqualTo(memTotalKib * 1024);
        }
        assertThat(gateway.ramBytes()).isPositive();
        assertThat(gateway.flashBytes()).isPositive();
        assertThat(gateway.withSensors(java.util.List.of("temperature")).sensors()).containsExactly("temperature");
        assertThat(HostMachine.architecture("amd64")).isEqualTo("x86_64");
        assertThat(HostMachine.architecture("aarch64")).isEqualTo("aarch64");
    }

    @Test
    void aBrokerWithoutSchemeAndATrustFileThatIsMissingOrNotKeys_areOneLineUsageErrors(@TempDir Path dir) throws Exception {
        Path notKeys = Files.writeString(dir.resolve("hostname"), "gateway-7\n");
        String noScheme = run(2, args(dir, "--broker", "127.0.0.1:1884"));
        String missing = run(2, args(dir, "--trust", dir.resolve("none.keys").toString()));
        String wrong = run(2, args(dir, "--trust", notKeys.toString()));

        assertThat(noScheme.lines().findFirst().orElseThrow()).contains("--broker 127.0.0.1:1884: not a broker URI (no scheme)")
                .contains("tcp://127.0.0.1:1884");
        assertThat(missing.lines().findFirst().orElseThrow()).contains("--trust").contains("no such file");
        assertThat(wrong.lines().findFirst().orElseThrow()).contains("not a trust file (line 1: expected 'keyId base64-key')");
        assertThat(noScheme + missing + wrong).doesNotContain("Exception");
    }
}
