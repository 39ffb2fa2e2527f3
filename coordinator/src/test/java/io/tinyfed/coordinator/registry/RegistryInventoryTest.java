package io.tinyfed.coordinator.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.registry.Iris;
import io.tinyfed.registry.Registry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The registry writer under a state flood: while it is busy, 10,000 state messages of one device
 * coalesce into one pending write, and a model version stored meanwhile is written before them.
 */
class RegistryInventoryTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private static DeviceHello hello(String id) {
        return new DeviceHello(id, "flood", 1 << 20, 1 << 20, "cortex-m4", 80, EnumSet.of(NumberFormat.S16), List.of(),
                "0.1.0", "", null);
    }

    @Test
    void aStateFlood_coalescesPerDeviceAndNeverDelaysAVersion() throws Exception {
        Registry store = Registry.inMemory();
        CountDownLatch writerBusy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger stateWrites = new AtomicInteger();
        List<String> order = new ArrayList<>();
        // The real in-memory registry, with the first batch of states held up until the flood is queued.
        Registry held = (Registry) Proxy.newProxyInstance(Registry.class.getClassLoader(), new Class<?>[] {Registry.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("setOnline") && args.length == 2) {
                        synchronized (order) {
                            order.add("states");
                        }
                        if (stateWrites.incrementAndGet() == 1) {
                            writerBusy.countDown();
                            release.await(30, TimeUnit.SECONDS);
                        }
                    } else if (method.getName().equals("registerModelVersion")) {
                        synchronized (order) {
                            order.add("version");
                        }
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        RegistryInventory inventory = new RegistryInventory(held, "flood", List.of(), (d, r) -> { });
        try {
            inventory.deviceHello(hello("noisy"), T0);
            inventory.deviceHello(hello("quiet"), T0);
            assertThat(inventory.flush(10, TimeUnit.SECONDS)).isTrue();
            inventory.deviceState("noisy", false, T0);
            assertThat(writerBusy.await(10, TimeUnit.SECONDS)).isTrue();

            for (int i = 1; i <= 10_000; i++) {
                inventory.deviceState("noisy", i % 2 == 0, T0.plusMillis(i));
            }
            Model model = Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1);
            inventory.versionStored("sine", 1, null, model, null, null);
            synchronized (order) {
                order.clear();
            }
            release.countDown();
            assertThat(inventory.flush(10, TimeUnit.SECONDS)).isTrue();

            assertThat(stateWrites.get()).as("the held batch, then one for all 10,000").isEqualTo(2);
            assertThat(inventory.coalescedWrites()).isEqualTo(9_999);
            assertThat(order).as("the version is written before the fleet's chatter").containsExactly("version", "states");
            assertThat(store.eligibleForTraining("flood", Iris.version("sine", 1))).as("noisy ends online (last state)")
                    .containsExactly("noisy", "quiet");
            assertThat(inventory.failedWrites()).isZero();
        } finally {
            inventory.close();
            store.close();
        }
    }

    @Test
    void atStart_devicesTheRegistryStillHoldsOnline_areOfflineUntilTheyAnnounceThemselves() throws Exception {
        Registry store = Registry.inMemory();
        Model model = Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1);
        RegistryInventory before = new RegistryInventory(store, "flood", List.of(), (d, r) -> { });
        before.deviceHello(hello("gone"), T0);
        before.deviceHello(hello("back"), T0);
        before.versionStored("sine", 1, null, model, null, null);
        assertThat(before.flush(10, TimeUnit.SECONDS)).isTrue();
        assertThat(store.eligibleForTraining("flood", Iris.version("sine", 1))).containsExactly("back", "gone");
        before.close(); // the coordinator stopped (or crashed) with both online

        RegistryInventory after = new RegistryInventory(store, "flood", List.of(), (d, r) -> { });
        try {
            assertThat(store.eligibleForTraining("flood", Iris.version("sine", 1))).as("nobody until they say so").isEmpty();
            after.deviceState("back", true, T0.plusSeconds(60));
            assertThat(after.flush(10, TimeUnit.SECONDS)).isTrue();
            assertThat(store.eligibleForTraining("flood", Iris.version("sine", 1))).containsExactly("back");
        } finally {
            after.close();
            store.close();
        }
    }

    @Test
    void expiry_removesOnlyDevicesOfflineAndNotSeenForTheAge_whileTheCoordinatorRuns() throws Exception {
        Registry store = Registry.inMemory();
        RegistryInventory inventory = new RegistryInventory(store, "flood", List.of(), (d, r) -> { });
        try {
            Instant now = Instant.now();
            for (String id : List.of("gone", "away-briefly", "online")) {
                inventory.deviceHello(hello(id), now.minus(java.time.Duration.ofHours(3)));
            }
            inventory.deviceState("gone", false, now.minus(java.time.Duration.ofHours(2)));
            inventory.deviceState("away-briefly", false, now.minus(java.time.Duration.ofMinutes(10)));
            assertThat(inventory.flush(10, TimeUnit.SECONDS)).isTrue();
            assertThat(inventory.expiredDevices()).as("nothing expires unless asked").isZero();

            inventory.expireDevicesAfter(java.time.Duration.ofHours(1));

            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                    .until(() -> inventory.expiredDevices() == 1);
            assertThat(inventory.flush(10, TimeUnit.SECONDS)).isTrue();
            assertThat(store.select("PREFIX tf: <https://tinyfed.io/ns#> SELECT ?id WHERE { GRAPH ?d { ?d tf:deviceId ?id } } "
                    + "ORDER BY ?id").rows()).extracting(row -> row.get("id")).containsExactly("away-briefly", "online");
            assertThat(inventory.failedWrites()).isZero();

            inventory.deviceHello(hello("gone"), Instant.now());
            assertThat(inventory.flush(10, TimeUnit.SECONDS)).isTrue();
            assertThat(store.devicesNotSeenSince("flood", Instant.now())).as("online again: registered anew")
                    .containsExactly("away-briefly");
        } finally {
            inventory.close();
            store.close();
        }
    }

    @Test
    void expiryPeriod_isATenthOfTheAge_betweenASecondAndAnHour() {
        assertThat(RegistryInventory.expiryPeriod(java.time.Duration.ofDays(30))).isEqualTo(java.time.Duration.ofHours(1));
        assertThat(RegistryInventory.expiryPeriod(java.time.Duration.ofMinutes(10))).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThat(RegistryInventory.expiryPeriod(java.time.Duration.ofSeconds(2))).isEqualTo(java.time.Duration.ofSeconds(1));
    }
}
