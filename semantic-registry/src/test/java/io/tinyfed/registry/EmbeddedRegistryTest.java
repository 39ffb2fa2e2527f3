package io.tinyfed.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The facade contract on the embedded TDB2 store, plus what only files can show. */
class EmbeddedRegistryTest extends RegistryContract {
    @TempDir
    Path dir;

    @Override
    protected Registry open() {
        return Registry.embedded(dir.resolve("tdb2"));
    }

    @Test
    void tdb2_survivesCloseAndReopen() {
        registry.registerDevice(Fixtures.m4("d-1"));
        registry.registerModelVersion(Fixtures.version("sine", 1, Fixtures.SINE, List.of()));
        registry.close();

        registry = Registry.embedded(dir.resolve("tdb2"));

        assertThat(registry.devicesFor(Iris.version("sine", 1), Purpose.TRAINING)).extracting(DeviceMatch::deviceId)
                .containsExactly("d-1");
        assertThat(registry.graph(Iris.device("f1", "d-1")).isIsomorphicWith(Fixtures.turtle("device-m4.ttl")
                .removeAll(null, null, null).add(registry.graph(Iris.device("f1", "d-1"))))).isTrue();
    }

    @Test
    void firmwareBuild_isMatchedByItsMeasuredFlashAndS16Only() {
        ModelVersionDescription fw = ModelDescriptions.firmware(Fixtures.version("firmware-sine", 1, Fixtures.SINE, List.of()),
                16_292);
        registry.registerModelVersion(fw);
        registry.registerDevice(RegistryContract.withFlash(Fixtures.m4("big-flash"), 1 << 20));
        registry.registerDevice(RegistryContract.withFlash(Fixtures.m4("small-flash"), 8 << 10));
        registry.registerDevice(Fixtures.gateway("gw")); // F32 and S16, 8 GB flash

        assertThat(fw.requirements()).allSatisfy(r -> {
            assertThat(r.format()).isEqualTo("S16");
            assertThat(r.flashBytes()).isEqualTo(16_292L);
        });
        assertThat(registry.devicesFor(fw.iri(), Purpose.TRAINING)).extracting(DeviceMatch::deviceId)
                .containsExactly("big-flash", "gw");
    }

    @Test
    void adHocQueries_seeTheUnionOfAllGraphs() {
        registry.registerDevice(Fixtures.m4("d-1"));
        registry.registerModelVersion(Fixtures.version("sine", 1, Fixtures.SINE, List.of()));

        QueryTable inventory = registry.selectResource("inventory.rq");

        assertThat(inventory.rows()).singleElement().satisfies(row -> {
            assertThat(row.get("deviceId")).isEqualTo("d-1");
            assertThat(row.get("trainsIn")).isEqualTo("S16");
            assertThat(row.get("rounds")).isEqualTo("0");
        });
    }
}
