package io.tinyfed.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.core.ArenaPlan;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.TrainingConfig;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.riot.RDFFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The facade's behaviour, run against every backend: the embedded TDB2 store and a remote SPARQL
 * endpoint (a second, in-test Fuseki server). Subclasses say how to open a fresh registry.
 */
abstract class RegistryContract {
    protected Registry registry;

    protected abstract Registry open() throws Exception;

    @BeforeEach
    void setUp() throws Exception {
        registry = open();
    }

    @AfterEach
    void tearDown() {
        registry.close();
    }

    @Test
    void registerDevice_writesTheS3nDescriptionOfTheFixture() {
        registry.registerDevice(Fixtures.m4("d-m4"));

        Model actual = registry.graph(Iris.device("f1", "d-m4"));
        Model expected = Fixtures.turtle("device-m4.ttl");
        assertThat(actual.isIsomorphicWith(expected)).as("expected:\n%s\nactual:\n%s", turtle(expected), turtle(actual)).isTrue();
    }

    @Test
    void registerDevice_refusesInvalidDescriptionsAndWritesNothing() {
        registry.registerDevice(Fixtures.m4("d-ok"));
        String countQuery = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }";
        String triplesBefore = registry.select(countQuery).rows().get(0).get("n");

        DeviceDescription negativeFlash = withFlash(Fixtures.m4("d-bad"), -1);
        DeviceDescription noRam = withRam(Fixtures.m4("d-bad"), 0);
        DeviceDescription unknownFormat = new DeviceDescription("f1", "d-bad", 1024, 0, null, 0, Set.of("S12"), List.of(),
                null, null, null, true, Fixtures.T0);
        DeviceDescription badId = Fixtures.m4("bad id with spaces");

        assertThatThrownBy(() -> registry.registerDevice(negativeFlash)).isInstanceOf(InvalidDescriptionException.class)
                .hasMessageContaining("flashBytes");
        assertThatThrownBy(() -> registry.registerDevice(noRam)).isInstanceOf(InvalidDescriptionException.class)
                .hasMessageContaining("ramBytes");
        assertThatThrownBy(() -> registry.registerDevice(unknownFormat)).isInstanceOf(InvalidDescriptionException.class)
                .hasMessageContaining("supportsFormat");
        assertThatThrownBy(() -> registry.registerDevice(badId)).isInstanceOf(InvalidDescriptionException.class)
                .hasMessageContaining("deviceId");
        assertThat(registry.select(countQuery).rows().get(0).get("n")).isEqualTo(triplesBefore);
        assertThat(registry.counters().refused()).isEqualTo(4);
    }

    @Test
    void importFile_refusesEachInvalidFixtureWithAReportAndWritesNothing() {
        Map<String, String> expectedInReport = Map.of(
                "invalid-missing-ram.ttl", "ramBytes",
                "invalid-negative-flash.ttl", "flashBytes",
                "invalid-unknown-format.ttl", "supportsFormat",
                "invalid-wrong-datatype.ttl", "ramBytes",
                "invalid-malformed.ttl", "malformed");
        for (Map.Entry<String, String> e : expectedInReport.entrySet()) {
            assertThatThrownBy(() -> registry.importFile(Fixtures.file(e.getKey())))
                    .as(e.getKey()).isInstanceOf(InvalidDescriptionException.class).hasMessageContaining(e.getValue());
        }
        assertThat(registry.select("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }").size()).isZero();
    }

    @Test
    void devicesFor_matchesRamFormatAndTrainableLayers() {
        long wideLast = ArenaPlan.of(Fixtures.WIDE, NumberFormat.S16, TrainingConfig.builder().trainableLayers(1).build()).totalBytes();
        registry.registerDevice(Fixtures.m0("d-m0"));
        registry.registerDevice(Fixtures.m4("d-m4"));
        registry.registerDevice(Fixtures.gateway("d-gw"));
        registry.registerDevice(withRam(Fixtures.m0("d-tight"), wideLast)); // fits last-layer training only
        registry.registerModelVersion(Fixtures.version("wide", 1, Fixtures.WIDE, List.of()));

        List<DeviceMatch> training = registry.devicesFor(Iris.version("wide", 1), Purpose.TRAINING);
        List<DeviceMatch> inference = registry.devicesFor(Iris.version("wide", 1), Purpose.INFERENCE);

        assertThat(training).extracting(DeviceMatch::deviceId).containsExactly("d-gw", "d-m4", "d-tight");
        assertThat(training).filteredOn(m -> m.deviceId().equals("d-tight")).singleElement()
                .satisfies(m -> assertThat(m.trainableLayers()).isEqualTo(1))
                .satisfies(m -> assertThat(m.arenaBytes()).isEqualTo(wideLast));
        assertThat(training).filteredOn(m -> m.deviceId().equals("d-m4")).singleElement()
                .satisfies(m -> assertThat(m.trainableLayers()).isEqualTo(3))
                .satisfies(m -> assertThat(m.format()).isEqualTo("S16"));
        assertThat(inference).extracting(DeviceMatch::deviceId).containsExactly("d-gw", "d-m4", "d-tight");
        assertThat(inference).extracting(DeviceMatch::format).containsOnly("S16");
    }

    @Test
    void modelsFor_respectsRequiredSensors() {
        registry.registerDevice(Fixtures.m4("d-m4")); // hosts a temperature sensor
        registry.registerDevice(Fixtures.gateway("d-gw")); // no sensors
        registry.registerModelVersion(Fixtures.version("sine", 1, Fixtures.SINE, List.of()));
        registry.registerModelVersion(Fixtures.version("room", 1, Fixtures.SINE, List.of("temperature")));

        assertThat(registry.modelsFor(Iris.device("f1", "d-m4"), Purpose.TRAINING)).extracting(ModelMatch::modelIri)
                .containsExactly(Iris.version("room", 1), Iris.version("sine", 1));
        assertThat(registry.modelsFor(Iris.device("f1", "d-gw"), Purpose.TRAINING)).extracting(ModelMatch::modelIri)
                .containsExactly(Iris.version("sine", 1));
    }

    @Test
    void eligibleForTraining_isOnlineDevicesOfTheFleetThatFitAndSense() {
        registry.registerDevice(Fixtures.m0("d-a"));
        registry.registerDevice(Fixtures.m4("d-b"));
        registry.registerDevice(Fixtures.gateway("d-c")); // no temperature sensor
        registry.registerDevice(new DeviceDescription("f2", "d-other-fleet", 262144, 1048576, null, 0, Set.of("S16"),
                List.of("temperature"), null, null, null, true, Fixtures.T0));
        registry.registerModelVersion(Fixtures.version("room", 1, Fixtures.SINE, List.of("temperature")));
        registry.setOnline("f1", "d-b", false, Fixtures.T0.plusSeconds(5));

        assertThat(registry.eligibleForTraining("f1", Iris.version("room", 1))).containsExactly("d-a");
        registry.setOnline("f1", "d-b", true, Fixtures.T0.plusSeconds(9));
        assertThat(registry.eligibleForTraining("f1", Iris.version("room", 1))).containsExactly("d-a", "d-b");
    }

    @Test
    void setOnline_many_writesTheKnownDevicesAndNamesTheUnknownOnes() {
        registry.registerDevice(Fixtures.m0("d-a"));
        registry.registerDevice(Fixtures.m4("d-b"));
        registry.registerModelVersion(Fixtures.version("room", 1, Fixtures.SINE, List.of("temperature")));
        long writesBefore = registry.counters().writes();

        List<String> unknown = registry.setOnline("f1", List.of(new Presence("d-a", false, Fixtures.T0.plusSeconds(1)),
                new Presence("ghost", true, Fixtures.T0.plusSeconds(1)), new Presence("d-b", false, Fixtures.T0.plusSeconds(2))));

        assertThat(unknown).containsExactly("ghost");
        assertThat(registry.counters().writes() - writesBefore).as("one transaction for the batch").isEqualTo(1);
        assertThat(registry.eligibleForTraining("f1", Iris.version("room", 1))).isEmpty();
        assertThat(registry.select("SELECT ?s WHERE { ?s <https://tinyfed.io/ns#deviceId> \"ghost\" }").size()).isZero();
        registry.setOnline("f1", List.of(new Presence("d-b", true, Fixtures.T0.plusSeconds(3))));
        assertThat(registry.eligibleForTraining("f1", Iris.version("room", 1))).containsExactly("d-b");
    }

    @Test
    void setOnline_refusesAnUnknownDevice() {
        assertThatThrownBy(() -> registry.setOnline("f1", "ghost", true, Fixtures.T0))
                .isInstanceOf(UnknownEntityException.class).hasMessageContaining("ghost");
        assertThat(registry.select("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }").size()).isZero();
    }

    @Test
    void recordRound_linksVersionsWithProvLineage() {
        registry.registerDevice(Fixtures.m4("d-1"));
        registry.registerDevice(Fixtures.m4("d-2"));
        registry.registerModelVersion(Fixtures.version("sine", 1, Fixtures.SINE, List.of()));
        registry.registerModelVersion(Fixtures.version("sine", 2, Fixtures.SINE, List.of()));
        registry.recordRound(new RoundRecord("f1", "sine", 1, 1, 2L, "reptile", List.of("d-1", "d-2"), 32, 0.02, 1.0,
                Fixtures.T0, Fixtures.T0.plusSeconds(1)));

        QueryTable lineage = registry.select("""
                PREFIX prov: <http://www.w3.org/ns/prov#>
                PREFIX tf: <https://tinyfed.io/ns#>
                SELECT ?parent ?round ?n WHERE {
                  GRAPH ?a { <%s> prov:wasDerivedFrom ?parent }
                  GRAPH ?b { <%s> prov:wasGeneratedBy ?r }
                  GRAPH ?c { ?r tf:roundNumber ?round ; tf:participantCount ?n ; prov:used ?parent }
                }""".formatted(Iris.version("sine", 2), Iris.version("sine", 2)));
        assertThat(lineage.rows()).containsExactly(Map.of("parent", Iris.version("sine", 1), "round", "1", "n", "2"));
    }

    @Test
    void recordRound_writesTheProvDescriptionOfTheFixture() {
        registry.registerDevice(Fixtures.m4("d-1"));
        registry.registerDevice(Fixtures.m4("d-2"));
        registry.registerModelVersion(Fixtures.version("sine", 3, Fixtures.SINE, List.of()));
        registry.registerModelVersion(Fixtures.version("sine", 4, Fixtures.SINE, List.of()));

        registry.recordRound(new RoundRecord("f1", "sine", 3, 3, 4L, "reptile", List.of("d-1", "d-2"), 32, 0.02, 0.5,
                Fixtures.T0, Fixtures.T0.plusSeconds(1)));

        Model actual = registry.graph(Iris.round("sine", 3));
        Model expected = Fixtures.turtle("round-3.ttl");
        assertThat(actual.isIsomorphicWith(expected)).as("expected:\n%s\nactual:\n%s", turtle(expected), turtle(actual)).isTrue();
    }

    @Test
    void recordRoundAndDeployment_refuseUnknownReferences() {
        registry.registerModelVersion(Fixtures.version("sine", 1, Fixtures.SINE, List.of()));

        assertThatThrownBy(() -> registry.recordRound(new RoundRecord("f1", "sine", 1, 1, 2L, "reptile", List.of(), 1, 0.1,
                1.0, null, null))).isInstanceOf(UnknownEntityException.class).hasMessageContaining("produced version 2");
        assertThatThrownBy(() -> registry.recordDeployment(deployment("ghost", "r1", 1, 1L, "serving", Fixtures.T0)))
                .isInstanceOf(UnknownEntityException.class).hasMessageContaining("ghost");
    }

    private static DeploymentRecord deployment(String device, String rollout, long version, Long serving, String state,
                                               java.time.Instant at) {
        return new DeploymentRecord("f1", device, rollout, 0, "sine", version, serving, "S16", state, "", Fixtures.T0, at,
                0.2, 0.25, true);
    }

    @Test
    void removeDevices_forgetsTheirDescriptionsRefusalsAndDeployments_keepsTheOthersAndTheLineage() {
        java.time.Instant longAgo = Fixtures.T0.minus(java.time.Duration.ofDays(90));
        registry.registerDevices(List.of(Fixtures.m4("d-gone"), Fixtures.m4("d-stays"), Fixtures.m4("d-old")));
        registry.setOnline("f1", "d-gone", false, longAgo);
        registry.setOnline("f1", "d-old", false, longAgo);
        registry.registerModelVersion(Fixtures.version("sine", 1, Fixtures.SINE, List.of()));
        registry.recordRollout(new RolloutRecord("f1", "r1", "sine", 1, "succeeded", "", Fixtures.T0, Fixtures.T0));
        registry.recordDeployments(List.of(deployment("d-gone", "r1", 1, 1L, "serving", Fixtures.T0),
                deployment("d-stays", "r1", 1, 1L, "serving", Fixtures.T0)));
        registry.recordRefusal(new RefusalRecord("f1", "d-gone", "r9", "BAD_SIGNATURE", Fixtures.T0, 3));
        registry.recordRound(new RoundRecord("f1", "sine", 1, 1, null, "reptile", List.of("d-gone", "d-stays"), 1, 0.1,
                1.0, null, null));

        List<String> stale = registry.devicesNotSeenSince("f1", Fixtures.T0.minus(java.time.Duration.ofDays(30)));
        List<String> removed = registry.removeDevices("f1", List.of("d-gone", "d-never-registered"));

        assertThat(stale).containsExactly("d-gone", "d-old");
        assertThat(removed).containsExactly("d-gone");
        assertThat(registry.graph(Iris.device("f1", "d-gone")).isEmpty()).isTrue();
        assertThat(registry.graph(Iris.refusal("f1", "d-gone")).isEmpty()).isTrue();
        assertThat(registry.selectResource("deployed-where.rq").rows()).extracting(r -> r.get("deviceId"))
                .containsExactly("d-stays");
        assertThat(registry.graph(Iris.device("f1", "d-stays")).isEmpty()).isFalse();
        assertThat(registry.devicesNotSeenSince("f1", Fixtures.T0)).containsExactly("d-old");
        // who contributed to round 1 is history: it still names the removed device
        assertThat(registry.select("PREFIX tf: <https://tinyfed.io/ns#> SELECT ?who WHERE { GRAPH ?g { ?r "
                + "tf:participant ?who } }").rows()).extracting(r -> r.get("who"))
                .contains(Iris.device("f1", "d-gone"));
    }

    @Test
    void recordDeployment_answersWhatIsDeployedWhere_fromEachDevicesLatestReport() {
        registry.registerDevices(List.of(Fixtures.m4("d-1"), Fixtures.m4("d-2"), Fixtures.m4("d-3")));
        registry.registerModelVersions(List.of(Fixtures.version("sine", 1, Fixtures.SINE, List.of()),
                Fixtures.version("sine", 2, Fixtures.SINE, List.of())));
        registry.recordRollout(new RolloutRecord("f1", "r1", "sine", 1, "succeeded", "", Fixtures.T0, Fixtures.T0));
        registry.recordRollout(new RolloutRecord("f1", "r2", "sine", 2, "failed", "canary worse", Fixtures.T0, null));
        java.time.Instant t1 = Fixtures.T0.plusSeconds(60);
        java.time.Instant t2 = Fixtures.T0.plusSeconds(120);
        registry.recordDeployments(List.of(
                deployment("d-1", "r1", 1, 1L, "serving", Fixtures.T0),
                deployment("d-1", "r2", 2, 1L, "rolled-back", t2),  // canary of r2, returned to v1
                deployment("d-2", "r1", 1, 1L, "serving", Fixtures.T0),
                deployment("d-2", "r2", 2, null, "timed-out", t2),  // never answered: still v1
                deployment("d-3", "r1", 1, 2L, "serving", t1)));   // reported v2 from elsewhere

        QueryTable where = registry.selectResource("deployed-where.rq");
        QueryTable behind = registry.selectResource("devices-behind.rq");
        QueryTable history = registry.selectResource("deployment-history.rq");

        assertThat(where.rows()).extracting(r -> r.get("deviceId") + " v" + r.get("version") + " " + r.get("state") + " "
                + r.get("rollout") + " " + r.get("format")).containsExactly("d-1 v1 rolled-back r2 S16",
                "d-2 v1 serving r1 S16", "d-3 v2 serving r1 S16");
        assertThat(behind.rows()).extracting(r -> r.get("deviceId")).containsExactly("d-1", "d-2");
        String olderThan = io.tinyfed.registry.internal.Resources.queryText("devices-older-than.rq");
        assertThat(QueryParameters.declared(olderThan)).containsExactly("olderThan");
        assertThat(registry.select(QueryParameters.bind(olderThan, Map.of("olderThan", "2"))).rows())
                .extracting(r -> r.get("deviceId")).containsExactly("d-1", "d-2");
        assertThat(registry.select(QueryParameters.bind(olderThan, Map.of("olderThan", "1"))).rows()).isEmpty();
        assertThatThrownBy(() -> QueryParameters.bind(olderThan, Map.of())).hasMessage("the query needs --param olderThan=VALUE");
        assertThatThrownBy(() -> QueryParameters.bind(olderThan, Map.of("olderThan", "1", "x}", "2")))
                .hasMessageContaining("not a SPARQL variable name");
        assertThat(history.rows()).filteredOn(r -> r.get("deviceId").equals("d-2")).extracting(r -> r.get("state"))
                .containsExactly("timed-out", "serving");
        assertThatThrownBy(() -> registry.recordDeployment(deployment("d-1", "r3", 1, 1L, "installed", t2)))
                .isInstanceOf(InvalidDescriptionException.class);
    }

    @Test
    void recordRefusal_keepsEachDevicesLastRefusalAndCount_andRefusesUnknownDevicesAndEmptyReasons() {
        registry.registerDevices(List.of(Fixtures.m4("d-1"), Fixtures.m4("d-2")));
        registry.recordRefusal(new RefusalRecord("f1", "d-1", "r1", "BAD_SIGNATURE: forged", Fixtures.T0, 1));
        registry.recordRefusal(new RefusalRecord("f1", "d-1", "invented", "BAD_SIGNATURE: again", Fixtures.T0.plusSeconds(5), 2));
        registry.recordRefusal(new RefusalRecord("f1", "d-2", "r1", "the model does not fit", Fixtures.T0, 1));

        QueryTable refused = registry.selectResource("refused-deploys.rq");

        assertThat(refused.rows()).extracting(r -> r.get("deviceId") + " " + r.get("namedRollout") + " " + r.get("refusals")
                + " " + r.get("reason")).containsExactly("d-1 invented 2 BAD_SIGNATURE: again", "d-2 r1 1 the model does not fit");
        assertThatThrownBy(() -> registry.recordRefusal(new RefusalRecord("f1", "ghost", "r1", "x", Fixtures.T0, 1)))
                .isInstanceOf(UnknownEntityException.class).hasMessageContaining("ghost");
        assertThatThrownBy(() -> registry.recordRefusal(new RefusalRecord("f1", "d-2", "r1", "", Fixtures.T0, 2)))
                .isInstanceOf(InvalidDescriptionException.class);
        assertThat(registry.selectResource("refused-deploys.rq").rows()).hasSize(2);
    }

    @Test
    void importFile_publishedDescriptionsAnswerTheSameMatchmaking() {
        ImportReport boards = registry.importFile(Fixtures.file("published-board.ttl"));
        ImportReport models = registry.importFile(Fixtures.file("published-models.ttl"));
        String board = "http://tinyml-schema.org/tinyml-demo/board-ble-sense-7";

        assertThat(boards.devices()).containsExactly(board);
        assertThat(boards.skipped()).anyMatch(s -> s.contains("board-without-ram") && s.contains("RAM unknown"))
                .anyMatch(s -> s.contains("flash unknown")).anyMatch(s -> s.contains("Barcode"));
        assertThat(models.models()).containsExactlyInAnyOrder("http://tinyml-schema.org/neuralnetwork/kws-small",
                "http://tinyml-schema.org/neuralnetwork/person-large");
        assertThat(models.skipped()).anyMatch(s -> s.contains("Unknown RAM")).anyMatch(s -> s.contains("rewrote"));
        // 256 KB RAM board: the 20 KB keyword model fits, the 300 KB one does not; its flash is unknown (0), which
        // does not exclude it. A native 256 KB S8 device without the microphone matches the same way.
        assertThat(registry.modelsFor(board, Purpose.INFERENCE)).extracting(ModelMatch::name).containsExactly("KWS small");
        registry.registerDevice(new DeviceDescription("f1", "nano", 256 * 1024, 1024 * 1024, null, 0, Set.of("S8"),
                List.of(), null, null, null, false, null));
        registry.registerDevice(new DeviceDescription("f1", "tiny-flash", 256 * 1024, 32 * 1024, null, 0, Set.of("S8"),
                List.of(), null, null, null, false, null));
        assertThat(registry.modelsFor(Iris.device("f1", "nano"), Purpose.INFERENCE)).extracting(ModelMatch::name)
                .containsExactly("KWS small");
        assertThat(registry.modelsFor(Iris.device("f1", "tiny-flash"), Purpose.INFERENCE)).isEmpty();
        assertThat(registry.devicesFor("http://tinyml-schema.org/neuralnetwork/kws-small", Purpose.INFERENCE))
                .extracting(DeviceMatch::deviceIri).containsExactly(board, Iris.device("f1", "nano"));
    }

    @Test
    void importFile_aModelWhoseInputASensorProvides_requiresThatSensor_andUnknownOrMalformedClassesAreReported() {
        ImportReport boards = registry.importFile(Fixtures.file("published-sensor-boards.ttl"));
        ImportReport models = registry.importFile(Fixtures.file("published-sensor-models.ttl"));
        String demo = "http://tinyml-schema.org/tinyml-demo/";
        String nn = "http://tinyml-schema.org/neuralnetwork/";

        assertThat(models.models()).containsExactlyInAnyOrder(nn + "person-detection", nn + "magic-wand");
        assertThat(models.skipped())
                .anyMatch(s -> s.contains("Person_Detection") && s.contains("provided by a Camera") && s.contains("image"))
                .anyMatch(s -> s.contains("Compass") && s.contains("malformed") && s.contains("not matchable"))
                .anyMatch(s -> s.contains("Radar_Gesture") && s.contains("Radar") && s.contains("not matchable"));
        assertThat(boards.skipped()).anyMatch(s -> s.contains("mistyped board") && s.contains("malformed")
                && s.contains("no sensor assumed")).anyMatch(s -> s.contains("read as a sensor of image"));
        // The person detector (100 KB) fits every 512 KB board by RAM, but only one has a camera.
        assertThat(registry.devicesFor(nn + "person-detection", Purpose.INFERENCE)).extracting(DeviceMatch::deviceIri)
                .containsExactly(demo + "board-camera");
        assertThat(registry.devicesFor(nn + "magic-wand", Purpose.INFERENCE)).extracting(DeviceMatch::deviceIri)
                .containsExactly(demo + "board-imu");
        assertThat(registry.modelsFor(demo + "board-thermometer", Purpose.INFERENCE)).isEmpty();
        assertThat(registry.modelsFor(demo + "board-mistyped", Purpose.INFERENCE)).as("its magnetometer is not guessed")
                .isEmpty();
        assertThat(registry.exclusions(nn + "person-detection", Purpose.INFERENCE))
                .extracting(Exclusion::deviceIri, Exclusion::reasons).containsExactly(
                        org.assertj.core.groups.Tuple.tuple(demo + "board-imu", List.of("no sensor of image")),
                        org.assertj.core.groups.Tuple.tuple(demo + "board-mistyped", List.of("no sensor of image")),
                        org.assertj.core.groups.Tuple.tuple(demo + "board-thermometer", List.of("no sensor of image")));
        // A plain SPARQL client gets the same devices from the shipped query.
        assertThat(registry.select(QueryParameters.bind(io.tinyfed.registry.internal.Resources.queryText(
                "devices-for-model.rq"), java.util.Map.of("model", nn + "person-detection"))).rows())
                .extracting(r -> r.get("device")).containsExactly(demo + "board-camera");
        assertThat(registry.select(QueryParameters.bind(io.tinyfed.registry.internal.Resources.queryText(
                "devices-for-model.rq"), java.util.Map.of("model", nn + "magic-wand"))).rows())
                .extracting(r -> r.get("device")).containsExactly(demo + "board-imu");
        registry.importFile(Fixtures.file("published-models.ttl"));
        registry.importFile(Fixtures.file("published-board.ttl"));
        // 300 KB: the 512 KB boards run it (it requires no sensor); the 256 KB board is short.
        assertThat(registry.exclusions("http://tinyml-schema.org/neuralnetwork/person-large", Purpose.INFERENCE))
                .extracting(Exclusion::deviceIri, Exclusion::reasons).containsExactly(org.assertj.core.groups.Tuple.tuple(
                        demo + "board-ble-sense-7", List.of("RAM short by 45,056 B (needs 307,200 B in S8, has 262,144 B)")));
    }

    @Test
    void importFile_oneModelFromItsDescriptionAndItsTflite_isRecognisedByName_linkedAndReported(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        registry.importFile(Fixtures.file("published-sensor-models.ttl"));
        java.nio.file.Path tflite = java.nio.file.Files.copy(Fixtures.file("face_detection_short_range.tflite"),
                dir.resolve("person_detection.tflite"));

        ImportReport report = registry.importFile(tflite);

        String imported = report.models().get(0);
        String described = "http://tinyml-schema.org/neuralnetwork/person-detection";
        assertThat(report.skipped()).anyMatch(s -> s.contains(imported) && s.contains("already registered as " + described)
                && s.contains("same name"));
        assertThat(registry.ask("ASK { GRAPH ?g { <" + imported + "> <http://www.w3.org/2002/07/owl#sameAs> <" + described
                + "> } }")).isTrue();
        ImportReport unrelated = registry.importFile(java.nio.file.Files.copy(
                Fixtures.file("face_detection_short_range.tflite"), dir.resolve("other.tflite")));
        assertThat(unrelated.outcome()).as("byte-identical to the first .tflite").isEqualTo(ImportReport.Outcome.DUPLICATE);
    }

    @Test
    void importFile_thingDescriptionBecomesAMatchableDevice() {
        ImportReport report = registry.importFile(Fixtures.file("thermostat.td.json"));
        registry.registerModelVersion(Fixtures.version("room", 1, Fixtures.SINE, List.of("temperature", "humidity")));

        assertThat(report.devices()).containsExactly("urn:dev:ops:thermostat-42");
        assertThat(report.skipped()).anyMatch(s -> s.contains("firmwareVersion"));
        // 64 KB RAM, F32 supported (TFLite Micro assumption): the room model's F32 inference arena fits.
        assertThat(registry.devicesFor(Iris.version("room", 1), Purpose.INFERENCE)).extracting(DeviceMatch::deviceIri)
                .containsExactly("urn:dev:ops:thermostat-42");
    }

    @Test
    void importFile_reimportReplacesTheFilesGraph() {
        registry.importFile(Fixtures.file("published-models.ttl"));
        String count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }";
        String first = registry.select(count).rows().get(0).get("n");
        registry.importFile(Fixtures.file("published-models.ttl"));
        assertThat(registry.select(count).rows().get(0).get("n")).isEqualTo(first);
    }

    @Test
    void importFile_keysGraphsByPath_neverReplacesAnotherFileOfTheSameName_andReportsByteIdenticalFiles(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String published = java.nio.file.Files.readString(Fixtures.file("published-board.ttl"));
        java.nio.file.Path a = java.nio.file.Files.createDirectories(dir.resolve("a")).resolve("board.ttl");
        java.nio.file.Path b = java.nio.file.Files.createDirectories(dir.resolve("b")).resolve("board.ttl");
        java.nio.file.Path copy = dir.resolve("copy-of-a.ttl");
        java.nio.file.Files.writeString(a, published);
        java.nio.file.Files.writeString(b, published.replace("board-ble-sense-7", "board-ble-sense-8"));
        java.nio.file.Files.writeString(copy, published);
        String count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }";

        ImportReport first = registry.importFile(a);
        ImportReport second = registry.importFile(b);
        String afterBoth = registry.select(count).rows().get(0).get("n");
        ImportReport duplicate = registry.importFile(copy);
        String afterDuplicate = registry.select(count).rows().get(0).get("n");
        ImportReport again = registry.importFile(a);

        assertThat(first.outcome()).isEqualTo(ImportReport.Outcome.IMPORTED);
        assertThat(second.outcome()).isEqualTo(ImportReport.Outcome.IMPORTED);
        assertThat(second.graph()).isNotEqualTo(first.graph());
        assertThat(registry.select("PREFIX tf: <https://tinyfed.io/ns#> SELECT DISTINCT ?d WHERE { GRAPH ?g { ?d a tf:Device } }")
                .rows()).extracting(r -> r.get("d")).contains(
                "http://tinyml-schema.org/tinyml-demo/board-ble-sense-7", "http://tinyml-schema.org/tinyml-demo/board-ble-sense-8");
        assertThat(duplicate.outcome()).isEqualTo(ImportReport.Outcome.DUPLICATE);
        assertThat(duplicate.duplicateOf()).isEqualTo(a.toAbsolutePath().normalize().toString());
        assertThat(duplicate.graph()).isEqualTo(first.graph());
        assertThat(afterDuplicate).as("nothing written for the duplicate").isEqualTo(afterBoth);
        assertThat(again.outcome()).isEqualTo(ImportReport.Outcome.REPLACED);
        assertThat(registry.select(count).rows().get(0).get("n")).isEqualTo(afterBoth);
    }

    static DeviceDescription withRam(DeviceDescription d, long ram) {
        return new DeviceDescription(d.fleet(), d.deviceId(), ram, d.flashBytes(), d.cpu(), d.clockMhz(), d.formats(),
                d.sensors(), d.runtimeVersion(), d.firmwareVersion(), d.gatewayId(), d.online(), d.lastSeen());
    }

    static DeviceDescription withFlash(DeviceDescription d, long flash) {
        return new DeviceDescription(d.fleet(), d.deviceId(), d.ramBytes(), flash, d.cpu(), d.clockMhz(), d.formats(),
                d.sensors(), d.runtimeVersion(), d.firmwareVersion(), d.gatewayId(), d.online(), d.lastSeen());
    }

    static String turtle(Model m) {
        StringWriter w = new StringWriter();
        RDFDataMgr.write(w, m, RDFFormat.TURTLE_PRETTY);
        return w.toString();
    }
}
