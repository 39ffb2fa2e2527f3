package io.tinyfed.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tinyfed registry remove} on an embedded store. */
class RegistryCommandTest {
    private record Run(int exit, String out, String err) {
    }

    private static Run registry(String... args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter usage = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cli = RegistryCommand.commandLine();
            cli.setErr(new PrintWriter(usage, true));
            int exit = cli.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + usage);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    @Test
    void removesNamedAndLongUnseenDevices_dryRunChangesNothing_andMistakesAreOneLine(@TempDir Path dir) {
        Path store = dir.resolve("registry");
        try (Registry r = Registry.embedded(store)) {
            r.registerDevices(List.of(Fixtures.m4("d-1"), Fixtures.m4("d-2"), Fixtures.m4("d-3")));
            r.setOnline("f1", "d-2", false, Instant.now().minus(Duration.ofDays(40)));
            r.setOnline("f1", "d-3", false, Instant.now().minus(Duration.ofDays(2)));
        }

        Run dry = registry("remove", "--dir", store.toString(), "--fleet", "f1", "--not-seen-for", "30d", "--dry-run");
        Run removed = registry("remove", "--dir", store.toString(), "--fleet", "f1", "--not-seen-for", "30d", "d-1");
        Run unknown = registry("remove", "--dir", store.toString(), "--fleet", "f1", "d-1");
        Run noUnit = registry("remove", "--dir", store.toString(), "--fleet", "f1", "--not-seen-for", "30");
        Run nothing = registry("remove", "--dir", store.toString(), "--fleet", "f1");

        assertThat(dry.exit()).isZero();
        assertThat(dry.out()).contains("would remove 1 devices of fleet f1: d-2");
        assertThat(removed.exit()).isZero();
        assertThat(removed.out()).contains("removed 2 devices of fleet f1: d-1 d-2");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("not registered in fleet f1: d-1");
        assertThat(noUnit.exit()).isEqualTo(2);
        assertThat(noUnit.err().lines().findFirst().orElseThrow()).contains("a number with a unit");
        assertThat(nothing.exit()).isEqualTo(2);
        assertThat(nothing.err()).contains("name the devices to remove");
        try (Registry r = Registry.embedded(store)) {
            assertThat(r.select("PREFIX tf: <https://tinyfed.io/ns#> SELECT ?id WHERE { GRAPH ?g { ?d tf:deviceId ?id } }")
                    .rows()).extracting(row -> row.get("id")).containsExactly("d-3");
        }
    }

    @Test
    void serveOnATakenPort_isAOneLineUsageErrorNamingTheFlag(@TempDir Path dir) throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket()) {
            taken.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();

            Run run = registry("serve", "--dir", dir.resolve("registry").toString(), "--port", String.valueOf(port));

            assertThat(run.exit()).isEqualTo(2);
            assertThat(run.err().lines().findFirst().orElseThrow()).isEqualTo("tinyfed registry serve: --port " + port
                    + ": the port is in use; choose another with --port (0: a free one)");
        }
        try (Registry reopened = Registry.embedded(dir.resolve("registry"))) {
            assertThat(reopened).as("the failed serve closed the registry").isNotNull();
        }
    }

    @Test
    void importOfTwoFilesWithOneName_importsBoth_andAByteIdenticalCopyIsReportedAndSkipped(@TempDir Path dir)
            throws Exception {
        String published = java.nio.file.Files.readString(Fixtures.file("published-board.ttl"));
        Path a = java.nio.file.Files.createDirectories(dir.resolve("a")).resolve("board.ttl");
        Path b = java.nio.file.Files.createDirectories(dir.resolve("b")).resolve("board.ttl");
        java.nio.file.Files.writeString(a, published);
        java.nio.file.Files.writeString(b, published.replace("board-ble-sense-7", "board-ble-sense-8"));
        Path copy = java.nio.file.Files.writeString(dir.resolve("copy.ttl"), published);

        Run run = registry("import", "--dir", dir.resolve("registry").toString(), a.toString(), b.toString(),
                copy.toString(), a.toString());

        assertThat(run.exit()).isZero();
        List<String> verdicts = run.out().lines().filter(l -> !l.startsWith(" ")).toList();
        assertThat(verdicts).hasSize(4);
        assertThat(verdicts.get(0)).startsWith("imported " + a + ":");
        assertThat(verdicts.get(1)).startsWith("imported " + b + ":");
        assertThat(verdicts.get(2)).startsWith("skipped " + copy + ": byte-identical to " + a.toAbsolutePath().normalize()
                + ", imported before");
        assertThat(verdicts.get(3)).startsWith("replaced " + a + ":");
    }

    @Test
    void validateWithAKilobyteOf1000_readsMemoryInDecimalUnits_andAnyOtherKilobyteIsAUsageError() {
        Run decimal = registry("validate", "--kilobyte", "1000", Fixtures.file("published-board.ttl").toString());
        Run wrong = registry("validate", "--kilobyte", "1016", Fixtures.file("published-board.ttl").toString());

        assertThat(decimal.exit()).isZero();
        assertThat(decimal.out()).contains("read as 1000 bytes each");
        assertThat(wrong.exit()).isEqualTo(2);
        assertThat(wrong.err().lines().findFirst().orElseThrow()).isEqualTo("tinyfed registry validate: --kilobyte 1016: "
                + "1024 or 1000");
    }

    @Test
    void match_listsTheDevicesForAModel_withExplainTheExcludedOnesAndWhy_andTheModelsForADevice(@TempDir Path dir) {
        String store = dir.resolve("registry").toString();
        assertThat(registry("import", "--dir", store, Fixtures.file("published-sensor-boards.ttl").toString(),
                Fixtures.file("published-sensor-models.ttl").toString()).exit()).isZero();

        Run model = registry("match", "--dir", store, "--model", "http://tinyml-schema.org/neuralnetwork/person-detection",
                "--explain", "--format", "csv");
        Run device = registry("match", "--dir", store, "--device", "http://tinyml-schema.org/tinyml-demo/board-imu",
                "--format", "csv");
        Run unknown = registry("match", "--dir", store, "--model", "sine");

        assertThat(model.exit()).isZero();
        assertThat(model.out().lines().toList()).containsExactly(
                "device,match,format,arenaBytes,arenaEstimated,ramBytes,trainableLayers,why",
                "http://tinyml-schema.org/tinyml-demo/board-camera,yes,S8,102400,false,524288,,",
                "http://tinyml-schema.org/tinyml-demo/board-imu,no,,,,,,no sensor of image",
                "http://tinyml-schema.org/tinyml-demo/board-mistyped,no,,,,,,no sensor of image",
                "http://tinyml-schema.org/tinyml-demo/board-thermometer,no,,,,,,no sensor of image");
        assertThat(device.out().lines().toList()).containsExactly(
                "model,name,format,arenaBytes,arenaEstimated,trainableLayers",
                "http://tinyml-schema.org/neuralnetwork/magic-wand,Magic_Wand,S8,20480,false,");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err().lines().findFirst().orElseThrow()).startsWith("tinyfed registry match: --model sine: no "
                + "versions of that model id");
    }

    @Test
    void query_answersAskConstructAndDescribe_asTheEndpointDoes_andAQueryThatDoesNotParseIsOneLine(@TempDir Path dir) {
        String store = dir.resolve("registry").toString();
        assertThat(registry("import", "--dir", store, Fixtures.file("published-sensor-boards.ttl").toString()).exit()).isZero();

        Run ask = registry("query", "--dir", store, "--sparql", "ASK { GRAPH ?g { ?s a <http://w3id.org/s3n/SmartSensor> } }");
        Run askJson = registry("query", "--dir", store, "--format", "json", "--sparql", "ASK { GRAPH ?g { ?s a <urn:none> } }");
        Run construct = registry("query", "--dir", store, "--format", "nt", "--sparql",
                "CONSTRUCT { ?s a <urn:board> } WHERE { GRAPH ?g { ?s a <http://w3id.org/s3n/SmartSensor> } }");
        Run describe = registry("query", "--dir", store, "--sparql", "DESCRIBE <http://tinyml-schema.org/tinyml-demo/board-imu>");
        Run csvGraph = registry("query", "--dir", store, "--format", "csv", "--sparql", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }");
        Run broken = registry("query", "--dir", store, "--sparql", "SELEC ?x");

        assertThat(ask.out().strip()).isEqualTo("yes");
        assertThat(askJson.out()).contains("\"boolean\" : false");
        assertThat(construct.out().lines()).hasSize(4).allMatch(l -> l.endsWith("<urn:board> ."));
        assertThat(describe.exit()).isZero();
        assertThat(describe.out()).contains("board-imu");
        assertThat(csvGraph.exit()).isEqualTo(2);
        assertThat(csvGraph.err().lines().findFirst().orElseThrow()).contains("--format csv: a CONSTRUCT query gives a graph");
        assertThat(broken.exit()).isEqualTo(2);
        assertThat(broken.err().lines().findFirst().orElseThrow()).startsWith("tinyfed registry query: not a SPARQL query: ");
        assertThat(broken.err()).doesNotContain("Exception");
    }
}
