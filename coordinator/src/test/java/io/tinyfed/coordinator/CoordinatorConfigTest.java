package io.tinyfed.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CoordinatorConfigTest {
    private static final String YAML = String.join("\n",
            "# /etc/tinyfed/coordinator.yml",
            "tinyfed:",
            "  coordinator:",
            "    fleet: plant-3",
            "    broker-port: 1999",
            "    http-port: 8099",
            "    quorum: 0.8",
            "    require-sensor: [temperature, humidity]",
            "    no-registry: true",
            "");

    /** The command after parsing {@code args} with the configuration of {@code file} and {@code environment}. */
    private static CoordinatorMain parsed(Path file, Map<String, String> environment, String... args) throws Exception {
        CommandLine cli = CoordinatorMain.commandLine();
        cli.setDefaultValueProvider(CoordinatorConfig.load(cli.getCommandSpec(), file, environment));
        cli.parseArgs(args);
        return cli.getCommand();
    }

    @Test
    void applicationYml_suppliesTheOptionsNotGiven_variablesOverrideIt_andFlagsOverrideBoth(@TempDir Path dir)
            throws Exception {
        Path yml = Files.writeString(dir.resolve("application.yml"), YAML);

        CoordinatorMain fromFile = parsed(yml, Map.of());
        CoordinatorMain fromVariable = parsed(yml, Map.of("TINYFED_COORDINATOR_BROKER_PORT", "2001", "PATH", "/bin"));
        CoordinatorMain fromFlag = parsed(yml, Map.of("TINYFED_COORDINATOR_BROKER_PORT", "2001"), "--broker-port", "2002",
                "--fleet", "f2");
        CoordinatorMain defaults = parsed(null, Map.of());

        assertThat(fromFile.fleet).isEqualTo("plant-3");
        assertThat(fromFile.brokerPort).isEqualTo(1999);
        assertThat(fromFile.httpPort).isEqualTo(8099);
        assertThat(fromFile.quorum).isEqualTo(0.8);
        assertThat(fromFile.requiredSensors).containsExactly("temperature", "humidity");
        assertThat(fromFile.noRegistry).isTrue();
        assertThat(fromFile.perRound).as("not in the file: built-in default").isEqualTo(10);
        assertThat(fromVariable.brokerPort).isEqualTo(2001);
        assertThat(fromVariable.httpPort).isEqualTo(8099);
        assertThat(fromFlag.brokerPort).isEqualTo(2002);
        assertThat(fromFlag.fleet).isEqualTo("f2");
        assertThat(defaults.brokerPort).isEqualTo(1884);
        assertThat(defaults.noRegistry).isFalse();
    }

    @Test
    void micronautConfigFiles_areReadInOrder_andConfigWinsOverThem(@TempDir Path dir) throws Exception {
        Path base = Files.writeString(dir.resolve("base.properties"),
                "tinyfed.coordinator.fleet=base\ntinyfed.coordinator.per-round=4\n");
        Path site = Files.writeString(dir.resolve("site.yaml"), "tinyfed.coordinator.fleet: site\n");
        Path own = Files.writeString(dir.resolve("own.yml"), "tinyfed.coordinator.per-round: 7\n");

        CoordinatorMain listed = parsed(null, Map.of("MICRONAUT_CONFIG_FILES", base + "," + site));
        CoordinatorMain both = parsed(own, Map.of("MICRONAUT_CONFIG_FILES", base + "," + site));

        assertThat(listed.fleet).isEqualTo("site");
        assertThat(listed.perRound).isEqualTo(4);
        assertThat(both.fleet).isEqualTo("site");
        assertThat(both.perRound).isEqualTo(7);
    }

    @Test
    void aSubcommand_doesNotTakeTheCoordinatorsKeys(@TempDir Path dir) throws Exception {
        Path yml = Files.writeString(dir.resolve("application.yml"), "tinyfed.coordinator.fleet: plant-3\n");
        CommandLine cli = CoordinatorMain.commandLine();
        cli.setDefaultValueProvider(CoordinatorConfig.load(cli.getCommandSpec(), yml, Map.of()));

        CommandLine.ParseResult parsed = cli.parseArgs("acl");

        CoordinatorMain.Acl acl = parsed.subcommand().commandSpec().commandLine().getCommand();
        assertThat(acl.fleet).isEqualTo("default");
    }

    /** The first line a run of the command prints on standard error, and its exit code. */
    private static String error(int expectedExit, Map<String, String> environment, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = CoordinatorMain.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(CoordinatorMain.execute(cli, environment, args)).isEqualTo(expectedExit);
        assertThat(err.toString()).doesNotContain("Exception").doesNotContain("\tat ");
        return err.toString().lines().findFirst().orElse("");
    }

    @Test
    void invalidConfiguration_isOneLineNamingTheFileOrVariableAndTheKey_andNothingStarts(@TempDir Path dir)
            throws Exception {
        Path store = dir.resolve("store");
        Path typo = Files.writeString(dir.resolve("typo.yml"), "tinyfed:\n  coordinator:\n    brokr-port: 1\n");
        Path foreign = Files.writeString(dir.resolve("foreign.yml"), "micronaut:\n  server:\n    port: 1\n");
        Path badValue = Files.writeString(dir.resolve("bad.yml"), "tinyfed.coordinator.broker-port: high\n");
        Path notYaml = Files.writeString(dir.resolve("broken.yml"), "tinyfed: [unclosed\n");
        Path conf = Files.writeString(dir.resolve("coordinator.conf"), "fleet=x\n");
        String storeFlag = "--store=" + store;

        assertThat(error(2, Map.of(), storeFlag, "--config", typo.toString()))
                .startsWith("tinyfed coordinator: --config " + typo + ": unknown key 'tinyfed.coordinator.brokr-port'")
                .contains("broker-port, ");
        assertThat(error(2, Map.of(), storeFlag, "--config", foreign.toString()))
                .contains("key 'micronaut.server.port' is not the coordinator's");
        assertThat(error(2, Map.of(), storeFlag, "--config", badValue.toString()))
                .contains(": tinyfed.coordinator.broker-port 'high' is not a whole number");
        assertThat(error(2, Map.of(), storeFlag, "--config", notYaml.toString())).contains(notYaml + ": not valid YML");
        assertThat(error(2, Map.of(), storeFlag, "--config", conf.toString()))
                .contains("not a configuration file the coordinator reads (.").contains("yml");
        assertThat(error(2, Map.of(), storeFlag, "--config", dir.resolve("none.yml").toString())).endsWith("no such file");
        assertThat(error(2, Map.of("TINYFED_COORDINATOR_QUORUMM", "0.5"), storeFlag))
                .contains("environment variable TINYFED_COORDINATOR_QUORUMM: unknown key");
        assertThat(error(2, Map.of("TINYFED_COORDINATOR_QUORUM", "most"), storeFlag))
                .contains("TINYFED_COORDINATOR_QUORUM 'most' is not a number");
        assertThat(error(2, Map.of("MICRONAUT_CONFIG_FILES", typo.toString()), storeFlag))
                .contains("MICRONAUT_CONFIG_FILES " + typo + ": unknown key");
        assertThat(Files.exists(store)).as("nothing started").isFalse();
    }
}
