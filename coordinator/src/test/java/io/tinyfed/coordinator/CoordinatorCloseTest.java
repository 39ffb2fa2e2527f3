package io.tinyfed.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.coordinator.broker.EmbeddedBroker;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.registry.Registry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closing a coordinator while its registry is busy: hellos and state changes streaming into the
 * registry writer, rounds selecting devices by SPARQL on the driver thread, and queries arriving at
 * the SPARQL endpoint. Every close must leave the TDB2 store reopenable in the same JVM with every
 * device that was handed over before the close began, in the state it last reported.
 */
class CoordinatorCloseTest {
    private static final int CLOSES = 50;
    private static final int DEVICES = 100;
    private static final String FLEET = "closing";

    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedBroker.start(0, dir.resolve("broker"), FLEET, null);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static Coordinator coordinator(Path store) throws Exception {
        return Coordinator.builder().fleet(FLEET).store(store)
                .initialModel(Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1))
                .rounds(new RoundEngine.Settings("sine", 4, 0.02f, 4, Duration.ofMillis(150), 1.0, 1, 100, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(3)))
                .externalBroker(broker.uri(), EmbeddedBroker.COORDINATOR_USER, broker.coordinatorSecret())
                .sparqlPort(0).tick(Duration.ofMillis(5)).start();
    }

    private static DeviceHello hello(String id) {
        return new DeviceHello(id, FLEET, 1 << 20, 1 << 20, "cortex-m4", 80, EnumSet.of(NumberFormat.S16), List.of(),
                "0.1.0", "", null);
    }

    @Test
    void close_underWriteLoad_leavesTheRegistryReopenableWithEveryAcceptedDescription() throws Exception {
        Path store = dir.resolve("store");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        String count = URLEncoder.encode("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", StandardCharsets.UTF_8);
        Map<String, Boolean> expected = new HashMap<>();
        for (int i = 0; i < CLOSES; i++) {
            String prefix = "c" + i + "-";
            Coordinator c = coordinator(store);
            AtomicBoolean load = new AtomicBoolean(true);
            AtomicBoolean reading = new AtomicBoolean(true);
            AtomicInteger messages = new AtomicInteger();
            Map<String, Boolean> last = new HashMap<>();  // written by the load thread only, read after join
            // A fleet of DEVICES repeating hellos and flapping between online and offline as fast as it can.
            Thread writer = new Thread(() -> {
                for (int m = 0; load.get(); m++) {
                    String hello = prefix + m % DEVICES;
                    c.engine().deviceHello(hello(hello));
                    last.put(hello, true);
                    String flapping = prefix + m * 7 % DEVICES;
                    c.engine().deviceState(flapping, m % 3 != 0);
                    last.put(flapping, m % 3 != 0);
                    messages.set(m + 1);
                }
            }, "close-test-writer");
            String query = c.sparqlUrl().orElseThrow() + "?query=" + count;
            Thread reader = new Thread(() -> {
                while (reading.get()) {
                    try {
                        http.send(HttpRequest.newBuilder(URI.create(query)).timeout(Duration.ofMillis(500)).build(),
                                HttpResponse.BodyHandlers.discarding());
                    } catch (Exception endpointSlowOrStopped) {
                        // keep asking until the coordinator is closed
                    }
                }
            }, "close-test-reader");
            writer.start();
            reader.start();
            c.startRun(1_000);
            while (messages.get() < 2 * DEVICES + 20 * (i % 10)) {   // close at varying points of the writer's pass
                Thread.sleep(1);
            }
            load.set(false);
            writer.join();
            expected.putAll(last);

            c.close();     // writes still pending, a round open or opening, SPARQL queries in flight
            reading.set(false);
            reader.join(10_000);

            Registry reopened = Registry.embedded(store.resolve("registry"));
            try {
                Map<String, Boolean> actual = new HashMap<>();
                reopened.select("SELECT ?id ?online WHERE { ?d <https://tinyfed.io/ns#deviceId> ?id ; "
                        + "<https://tinyfed.io/ns#online> ?online }").rows()
                        .forEach(row -> actual.put(row.get("id"), Boolean.parseBoolean(row.get("online"))));
                assertThat(actual).as("close %d of %d: every device and its last state handed over before close",
                        i + 1, CLOSES).isEqualTo(expected);
            } finally {
                reopened.close();
            }
            // the next coordinator starts by marking every device offline until it announces itself again
            expected.replaceAll((id, online) -> false);
        }
    }
}
