package io.tinyfed.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.registry.importer.tflite.MicroArena;
import io.tinyfed.registry.importer.tflite.TfliteModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a real .tflite (MediaPipe BlazeFace short range) and registering it for matchmaking. */
class TfliteImportTest {
    @TempDir
    Path tmp;

    @Test
    void parse_readsOperatorsTensorsAndFigures() throws Exception {
        TfliteModel model = TfliteModel.parse(Files.readAllBytes(Fixtures.file("face_detection_short_range.tflite")));

        Map<String, Integer> ops = new TreeMap<>();
        model.operators().forEach(o -> ops.merge(o.op(), 1, Integer::sum));
        MicroArena.Estimate arena = MicroArena.estimate(model, MicroArena.Target.CORTEX_M, MicroArena.Kernels.CMSIS_NN);
        System.out.printf("BlazeFace: %d ops %s, %d tensors, params %d, MACs %d, arena %d B (%s), file %d B%n",
                model.operators().size(), ops, model.tensors().size(), model.parameterCount(), model.macs(),
                arena.total(), arena, model.fileBytes());
        assertThat(ops).containsKeys("CONV_2D", "DEPTHWISE_CONV_2D", "ADD");
        assertThat(model.inputs()).hasSize(1);
        TfliteModel.Tensor input = model.tensors().get(model.inputs().get(0));
        assertThat(input.shape()).containsExactly(1, 128, 128, 3);
        assertThat(input.type()).isEqualTo(TfliteModel.TensorType.FLOAT32);
        // Every weighted operator's filter is a constant tensor, and constants are what the parameters count.
        long filters = model.operators().stream().filter(o -> o.op().equals("CONV_2D") || o.op().equals("DEPTHWISE_CONV_2D"))
                .mapToLong(o -> model.tensors().get(o.inputs()[1]).elements()).sum();
        assertThat(model.parameterCount()).isGreaterThan(filters);
        // The input alone (128x128x3 float) is live at the first operator.
        assertThat(arena.planned()).isGreaterThanOrEqualTo(128L * 128 * 3 * 4);
        assertThat(arena.assumptions()).isEmpty();
        assertThat(model.macs()).isGreaterThan(filters);
    }

    @Test
    void import_registersANnetModelThatMatchmakingAnswersFor() {
        try (Registry registry = Registry.inMemory()) {
            ImportReport report = registry.importFile(Fixtures.file("face_detection_short_range.tflite"));
            registry.registerDevice(Fixtures.m4("d-m4"));
            registry.registerDevice(Fixtures.gateway("d-gw"));

            assertThat(report.models()).hasSize(1);
            String model = report.models().get(0);
            assertThat(registry.devicesFor(model, Purpose.INFERENCE)).extracting(DeviceMatch::deviceId).containsExactly("d-gw");
            // The requirement is TFLite Micro's arena on a Cortex-M build, and matchmaking says it is an estimate.
            DeviceMatch gateway = registry.devicesFor(model, Purpose.INFERENCE).get(0);
            assertThat(gateway.arenaEstimated()).isTrue();
            assertThat(gateway.arenaBytes()).isEqualTo(MicroArena.estimate(TfliteModel.parse(
                    readFixture("face_detection_short_range.tflite")), MicroArena.Target.CORTEX_M,
                    MicroArena.Kernels.CMSIS_NN).total());
            assertThat(report.skipped()).anyMatch(n -> n.contains("estimated as TFLite Micro lays it out"));
            QueryTable layers = registry.select("""
                    PREFIX nnet: <https://w3id.org/tinyml-schema/neural-network-schema#>
                    SELECT DISTINCT ?type WHERE { <%s> nnet:middleLayer ?l . ?l nnet:hasType ?type }""".formatted(model));
            assertThat(layers.rows()).extracting(r -> r.get("type")).contains(
                    "https://w3id.org/tinyml-schema/neural-network-schema#Conv2D",
                    "https://w3id.org/tinyml-schema/neural-network-schema#DepthwiseConv2D");
        }
    }

    @Test
    void import_refusesATruncatedFile() throws Exception {
        byte[] real = Files.readAllBytes(Fixtures.file("face_detection_short_range.tflite"));
        Path truncated = tmp.resolve("truncated.tflite");
        Files.write(truncated, Arrays.copyOf(real, 4096));
        Path notTflite = tmp.resolve("text.tflite");
        Files.writeString(notTflite, "hello, not a model");

        try (Registry registry = Registry.inMemory()) {
            assertThatThrownBy(() -> registry.importFile(truncated)).isInstanceOf(InvalidDescriptionException.class)
                    .hasMessageContaining("truncated or corrupt");
            assertThatThrownBy(() -> registry.importFile(notTflite)).isInstanceOf(InvalidDescriptionException.class)
                    .hasMessageContaining("TFL3");
            assertThat(registry.select("SELECT * WHERE { ?s ?p ?o }").size()).isZero();
            assertThat(registry.counters()).isEqualTo(new Registry.Counters(0, 2));
        }
    }

    @Test
    void validateFile_reportsWithoutWriting() {
        try (Registry registry = Registry.inMemory()) {
            ImportReport report = registry.validateFile(Fixtures.file("published-board.ttl"));

            assertThat(report.devices()).hasSize(1);
            assertThat(registry.select("SELECT * WHERE { ?s ?p ?o }").size()).isZero();
        }
    }


    private static byte[] readFixture(String name) {
        try {
            return Files.readAllBytes(Fixtures.file(name));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
