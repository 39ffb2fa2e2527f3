package io.tinyfed.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.registry.DeviceDescription;
import io.tinyfed.registry.Iris;
import io.tinyfed.registry.ModelDescriptions;
import io.tinyfed.registry.Purpose;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The in-memory match index answers exactly what the fact queries answer, stays current through the facade's
 * writes (each applies its delta), and is dropped by anyone else's.
 */
class MatchIndexTest {
    private static final String[] SENSORS = {"temperature", "humidity", "acceleration"};

    @Test
    void index_answersLikeTheFactQueries_andFollowsWrites() throws Exception {
        JenaRegistry indexed = JenaRegistry.inMemory();
        JenaRegistry facts = JenaRegistry.inMemory();
        facts.disableIndex();
        List<String> models = new ArrayList<>();
        for (JenaRegistry registry : List.of(indexed, facts)) {
            SplittableRandom same = new SplittableRandom(7);
            for (int i = 0; i < 300; i++) {
                int kind = same.nextInt(3);
                registry.registerDevice(new DeviceDescription("f", "d" + i, 2048L + 512L * same.nextInt(200),
                        same.nextInt(4) == 0 ? 0 : 65536L * (1 + same.nextInt(8)), null, 0,
                        kind == 2 ? Set.of("F32", "S16") : Set.of("S16"), List.of(SENSORS[same.nextInt(3)]), null, null,
                        null, same.nextBoolean(), null));
            }
            for (int v = 1; v <= 30; v++) {
                List<String> required = same.nextInt(3) == 0 ? List.of(SENSORS[same.nextInt(3)]) : List.of();
                int hidden = 4 + same.nextInt(60);
                registry.registerModelVersion(ModelDescriptions.of("m", v, v > 1 ? (long) v - 1 : null,
                        Architecture.mlp(Layer.Kind.RELU, 1 + same.nextInt(16), hidden, 1 + same.nextInt(4)), required, null, null));
                if (registry == indexed) {
                    models.add(Iris.version("m", v));
                }
            }
        }
        assertThat(indexed.awaitIndex(Duration.ofSeconds(10))).isTrue();

        for (String model : models) {
            for (Purpose p : Purpose.values()) {
                assertThat(indexed.devicesFor(model, p)).as("%s %s", model, p).isEqualTo(facts.devicesFor(model, p));
            }
            assertThat(indexed.eligibleForTraining("f", model)).isEqualTo(facts.eligibleForTraining("f", model));
        }
        for (int i = 0; i < 300; i += 7) {
            String device = Iris.device("f", "d" + i);
            for (Purpose p : Purpose.values()) {
                assertThat(indexed.modelsFor(device, p)).as("%s %s", device, p).isEqualTo(facts.modelsFor(device, p));
            }
        }

        // The facade's writes carry their delta: the index stays current through each and answers as the fact
        // queries do on the same writes, without a rebuild.
        for (JenaRegistry registry : List.of(indexed, facts)) {
            registry.setOnline("f", "d3", true, java.time.Instant.EPOCH);
            registry.setOnline("f", List.of(new io.tinyfed.registry.Presence("d4", false, java.time.Instant.EPOCH),
                    new io.tinyfed.registry.Presence("d5", true, java.time.Instant.EPOCH)));
            registry.registerDevice(new DeviceDescription("f", "new-1", 900_000, 4_000_000, null, 0, Set.of("S16", "F32"),
                    List.of("humidity"), null, null, null, true, null)); // a new device
            registry.registerDevice(new DeviceDescription("f", "d6", 1024, 0, null, 0, Set.of("S16"),
                    List.of("humidity"), null, null, null, true, null)); // re-registered: now too small for anything
            registry.registerDevices(List.of(new DeviceDescription("f", "d7", 700_000, 0, null, 0, Set.of("F32"),
                    List.of(), null, null, null, true, null)));
            registry.removeDevices("f", List.of("d8", "d9"));
            registry.registerModelVersion(ModelDescriptions.of("m", 31, 30L,
                    Architecture.mlp(Layer.Kind.RELU, 8, 24, 2), List.of("humidity"), null, null)); // a new version
            registry.registerModelVersion(ModelDescriptions.of("m", 2, 1L,
                    Architecture.mlp(Layer.Kind.RELU, 64, 200, 10), List.of(), null, null)); // a version replaced
            if (registry == indexed) {
                assertThat(indexed.indexCurrent()).as("index current after the facade's writes").isTrue();
            }
        }
        models.add(Iris.version("m", 31));
        for (String model : models) {
            for (Purpose p : Purpose.values()) {
                assertThat(indexed.devicesFor(model, p)).as("after writes: %s %s", model, p)
                        .isEqualTo(facts.devicesFor(model, p));
            }
            assertThat(indexed.eligibleForTraining("f", model)).isEqualTo(facts.eligibleForTraining("f", model));
        }
        for (String id : List.of("d3", "d4", "d5", "d6", "d7", "d8", "new-1")) {
            String device = Iris.device("f", id);
            for (Purpose p : Purpose.values()) {
                assertThat(indexed.modelsFor(device, p)).as("after writes: %s %s", device, p)
                        .isEqualTo(facts.modelsFor(device, p));
            }
        }
        assertThat(indexed.indexCurrent()).isTrue();

        // A write from elsewhere (the SPARQL endpoint's update, here straight on the dataset) drops the index:
        // the next answer already reflects it, and the index is rebuilt once the store is quiet.
        org.apache.jena.sparql.core.DatasetGraph dsg = indexed.dataset().orElseThrow();
        org.apache.jena.system.Txn.executeWrite(dsg, () -> org.apache.jena.update.UpdateAction.parseExecute(
                "PREFIX tf: <https://tinyfed.io/ns#> DELETE { GRAPH ?g { ?d tf:ramBytes ?r } } INSERT { GRAPH ?g {"
                        + " ?d tf:ramBytes 1 } } WHERE { GRAPH ?g { ?d tf:deviceId \"new-1\" ; tf:ramBytes ?r } }", dsg));
        assertThat(indexed.indexCurrent()).isFalse();
        assertThat(indexed.devicesFor(Iris.version("m", 31), Purpose.INFERENCE)).extracting(m -> m.deviceId())
                .doesNotContain("new-1");
        assertThat(indexed.awaitIndex(Duration.ofSeconds(10))).isTrue();
        assertThat(indexed.devicesFor(Iris.version("m", 31), Purpose.INFERENCE)).extracting(m -> m.deviceId())
                .doesNotContain("new-1");

        // A write drops the index: the next answer already reflects it.
        String someModel = models.get(0);
        List<String> before = indexed.eligibleForTraining("f", someModel);
        assertThat(before).isNotEmpty();
        indexed.setOnline("f", before.get(0), false, java.time.Instant.EPOCH);
        assertThat(indexed.eligibleForTraining("f", someModel)).doesNotContain(before.get(0));
        assertThat(indexed.awaitIndex(Duration.ofSeconds(10))).isTrue();
        assertThat(indexed.eligibleForTraining("f", someModel)).doesNotContain(before.get(0));
        indexed.close();
        facts.close();
    }
}
