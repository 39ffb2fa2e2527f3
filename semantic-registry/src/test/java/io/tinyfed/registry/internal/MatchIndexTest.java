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

/** The in-memory match index answers exactly what the fact queries answer, and is dropped by any write. */
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
