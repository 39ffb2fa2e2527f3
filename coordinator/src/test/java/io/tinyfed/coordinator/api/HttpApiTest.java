package io.tinyfed.coordinator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.DeviceHello;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpApiTest {
    @TempDir
    static Path dir;
    private static Coordinator coordinator;
    private static HttpApi api;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        coordinator = Coordinator.builder().fleet("api").store(dir)
                .initialModel(Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1))
                .rounds(new RoundEngine.Settings("sine", 4, 0.02f, 4, Duration.ofSeconds(1), 1.0, 1, 100, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(1))).start();
        coordinator.engine().deviceHello(new DeviceHello("dev-1", "api", 1 << 20, 0, "m4", 80,
                EnumSet.of(NumberFormat.S16), List.of("temperature"), "t", "", null));
        api = HttpApi.start(coordinator, "127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(api.url() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void fleetAndModelVersionsAreServedAsJson() throws Exception {
        JsonNode fleet = json.readTree(get("/api/fleet").body());
        assertThat(fleet.get("fleet").asText()).isEqualTo("api");
        assertThat(fleet.get("devices").get(0).get("id").asText()).isEqualTo("dev-1");
        assertThat(fleet.get("devices").get(0).get("formats").get(0).asText()).isEqualTo("S16");
        JsonNode versions = json.readTree(get("/api/models/sine/versions").body());
        assertThat(versions.get(0).get("version").asLong()).isEqualTo(1);
        assertThat(versions.get(0).get("strategy").asText()).isEqualTo("initial");
        assertThat(get("/api/models/unknown/versions").statusCode()).isEqualTo(404);
    }

    @Test
    void aModelIdThatIsAPath_isABadRequest() throws Exception {
        assertThat(get("/api/models/%2Fetc/versions").statusCode()).isEqualTo(400);
        assertThat(get("/api/models/..%2F..%2Fstore/versions").statusCode()).isEqualTo(400);
        assertThat(get("/api/models/../versions").statusCode()).isIn(400, 404);
        assertThat(get("/api/models/sine/versions").statusCode()).isEqualTo(200);
    }

    private static String token() throws Exception {
        return java.nio.file.Files.readString(HttpApi.tokenFile(coordinator)).trim();
    }

    /** A raw HTTP/1.1 request, so that the Host header is the test's to choose; returns the status line. */
    private String rawStatus(String method, String path, String host, String extraHeaders) throws Exception {
        URI u = URI.create(api.url());
        try (java.net.Socket s = new java.net.Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(10_000);
            String req = method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extraHeaders
                    + "Content-Length: 0\r\nConnection: close\r\n\r\n";
            s.getOutputStream().write(req.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine();
        }
    }

    @Test
    void stateChangesWithoutTheToken_areRefusedAndChangeNothing() throws Exception {
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/runs"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"rounds\":5}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/runs/current"))
                .header("Authorization", "Bearer not-the-token").DELETE().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.body()).contains("api.token");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(coordinator.running()).isFalse();
        assertThat(java.nio.file.Files.getPosixFilePermissions(HttpApi.tokenFile(coordinator)))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void aRequestNamingAnotherHost_isRefused() throws Exception {
        int port = URI.create(api.url()).getPort();

        String rebound = rawStatus("DELETE", "/api/runs/current", "attacker.example:" + port,
                "Origin: http://attacker.example:" + port + "\r\nAuthorization: Bearer " + token() + "\r\n");
        String readRebound = rawStatus("GET", "/api/fleet", "attacker.example:" + port, "");
        String loopback = rawStatus("GET", "/api/fleet", "localhost:" + port, "");

        assertThat(rebound).contains(" 421 ");
        assertThat(readRebound).contains(" 421 ");
        assertThat(loopback).contains(" 200 ");
    }

    @Test
    void runsStartAndStopThroughTheApi() throws Exception {
        HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/runs"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token())
                .POST(HttpRequest.BodyPublishers.ofString("{\"rounds\":1}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(started.statusCode()).isEqualTo(202);
        assertThat(json.readTree(started.body()).get("running").asBoolean()).isTrue();
        // nobody answers: the round closes at its 1 s deadline without a new version
        await().atMost(Duration.ofSeconds(10)).until(() -> json.readTree(get("/api/rounds").body()).size() == 1);
        JsonNode round = json.readTree(get("/api/rounds").body()).get(0);
        assertThat(round.get("outcome").asText()).startsWith("no quorum");
        assertThat(round.get("stragglers").get(0).asText()).isEqualTo("dev-1");
        HttpResponse<String> stopped = http.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/runs/current"))
                .header("Authorization", "Bearer " + token()).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(json.readTree(stopped.body()).get("running").asBoolean()).isFalse();
        assertThat(http.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/runs"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token())
                .POST(HttpRequest.BodyPublishers.ofString("{\"rounds\":0}"))
                .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
    }

    @Test
    void theDashboardIsServedUnderItsOwnPolicy_andWhatItReadsAnswers() throws Exception {
        HttpResponse<String> root = get("/");
        HttpResponse<String> page = get("/dashboard/");
        HttpResponse<String> script = get("/dashboard/dashboard.js");
        assertThat(root.statusCode()).isEqualTo(303);
        assertThat(root.headers().firstValue("Location")).hasValue("/dashboard/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<title>TinyFed coordinator</title>").doesNotContain("http://", "https://");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).startsWith("default-src 'self'")
                .contains("frame-ancestors 'none'");
        assertThat(script.headers().firstValue("Content-Type").orElseThrow()).contains("javascript");
        assertThat(script.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");

        JsonNode device = json.readTree(get("/api/fleet/dev-1").body());
        assertThat(device.get("device").get("id").asText()).isEqualTo("dev-1");
        assertThat(device.get("device").get("ramBytes").asLong()).isEqualTo(1 << 20);
        assertThat(get("/api/fleet/nobody").statusCode()).isEqualTo(404);
        JsonNode training = json.readTree(get("/api/training").body());
        assertThat(training.get("aggregation").get("strategy").asText()).isEqualTo("reptile");
        assertThat(training.get("aggregation").get("quorum").asDouble()).isEqualTo(1.0);
        JsonNode queries = json.readTree(get("/api/queries").body());
        assertThat(queries).anySatisfy(q -> {
            assertThat(q.get("name").asText()).isEqualTo("inventory.rq");
            assertThat(q.get("text").asText()).contains("SELECT");
        });
        HttpResponse<String> ask = get("/api/sparql?query=" + java.net.URLEncoder.encode("ASK { ?s ?p ?o }",
                java.nio.charset.StandardCharsets.UTF_8));
        assertThat(json.readTree(ask.body()).get("boolean").asBoolean()).isTrue();
        HttpResponse<String> nonsense = get("/api/sparql?query=SELECT%20nonsense");
        assertThat(nonsense.statusCode()).isEqualTo(400);
        assertThat(json.readTree(nonsense.body()).get("error").asText()).isNotBlank();

        // the event stream's first event is the state the dashboard shows, at once
        java.util.concurrent.CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> events = http.sendAsync(
                HttpRequest.newBuilder(URI.create(api.url() + "/api/events")).GET().build(),
                HttpResponse.BodyHandlers.ofLines());
        HttpResponse<java.util.stream.Stream<String>> stream = events.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(stream.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        try (java.util.stream.Stream<String> lines = stream.body()) {
            String data = lines.filter(l -> l.startsWith("data:")).findFirst().orElseThrow();
            JsonNode live = json.readTree(data.substring("data:".length()));
            assertThat(live.get("fleet").asText()).isEqualTo("api");
            assertThat(live.get("known").asInt()).isEqualTo(coordinator.engine().knownCount());
        }
    }

    @Test
    void aVersionIsServedAsItsCExport_inOneZip() throws Exception {
        HttpResponse<byte[]> zip = http.send(HttpRequest.newBuilder(URI.create(api.url()
                + "/api/models/sine/versions/1/c?train=true")).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(zip.statusCode()).isEqualTo(200);
        assertThat(zip.headers().firstValue("Content-Type")).hasValue("application/zip");
        java.util.Map<String, String> files = new java.util.TreeMap<>();
        try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip.body()))) {
            for (java.util.zip.ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                files.put(e.getName(), new String(in.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }
        assertThat(files.keySet()).contains("model/model.h", "model/model.c", "model/model.tfm", "model/tinyfed.c",
                "model/tinyfed.h", "model/tinyfed_tables.c", "model/tinyfed_serial.c");
        String arena = zip.headers().firstValue("X-TinyFed-Arena-Bytes").orElseThrow();
        assertThat(files.get("model/model.h")).contains("#define MODEL_ARENA_BYTES " + arena + "u");
        // laid out for training: bigger than the inference arena of the same version
        HttpResponse<byte[]> inference = http.send(HttpRequest.newBuilder(URI.create(api.url()
                + "/api/models/sine/versions/latest/c")).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(Long.parseLong(inference.headers().firstValue("X-TinyFed-Arena-Bytes").orElseThrow()))
                .isLessThan(Long.parseLong(arena));

        assertThat(get("/api/models/sine/versions/1/c?range=5:-5").statusCode()).isEqualTo(400);
        assertThat(get("/api/models/sine/versions/1/c?range=nonsense").statusCode()).isEqualTo(400);
        assertThat(get("/api/models/sine/versions/99/c").statusCode()).isEqualTo(404);
        assertThat(get("/api/models/sine/versions/1/c?lr=-1").statusCode()).isEqualTo(400);
    }

    @Test
    void healthAndPrometheusAreExposed() throws Exception {
        assertThat(json.readTree(get("/health").body()).get("status").asText()).isEqualTo("UP");
        String metrics = get("/prometheus").body();
        assertThat(metrics).contains("tinyfed_model_version").contains("tinyfed_devices_eligible")
                .contains("tinyfed_updates_rejected{reason=\"DUPLICATE\"}").contains("tinyfed_async_training 0.0");
        // The initial snapshot went out once when the coordinator started.
        assertThat(metrics).containsPattern("tinyfed_versions_published_bytes_total\\{form=\"snapshot\"\\} [1-9]")
                .contains("tinyfed_versions_published_bytes_total{form=\"delta\"} 0.0");
    }

    @Test
    void refusedHellosAreCountedInPrometheus() throws Exception {
        org.eclipse.paho.mqttv5.client.MqttClient device = new org.eclipse.paho.mqttv5.client.MqttClient(
                coordinator.brokerUri(), "dev-garbage", new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
        org.eclipse.paho.mqttv5.client.MqttConnectionOptions o = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
        o.setUserName("dev-garbage");
        o.setPassword("any".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        device.connect(o);
        try {
            device.publish(io.tinyfed.protocol.Topics.of("api").device("dev-garbage",
                    io.tinyfed.protocol.Topics.DeviceTopic.HELLO), new byte[] {(byte) 0xFF, (byte) 0xFF, 7}, 1, false);

            await().atMost(Duration.ofSeconds(20)).until(() ->
                    get("/prometheus").body().contains("tinyfed_messages_rejected{reason=\"MALFORMED\"} 1.0"));
            device.publish(io.tinyfed.protocol.Topics.of("api").device("dev-garbage",
                    io.tinyfed.protocol.Topics.DeviceTopic.UPDATE), new byte[] {(byte) 0xFF, 1, 2, 3, 4}, 1, false);
            await().atMost(Duration.ofSeconds(20)).until(() -> get("/prometheus").body()
                    .contains("tinyfed_updates_received_bytes_total 5.0"));
        } finally {
            device.disconnect();
            device.close();
        }
    }

    @Test
    void match_listsTheDevicesForAVersion_explainsTheExcludedOnes_andTheModelsForADevice() throws Exception {
        coordinator.engine().deviceHello(new DeviceHello("tiny-1", "api", 16, 0, "m0", 16,
                EnumSet.of(NumberFormat.S16), List.of(), "t", "", null));
        assertThat(coordinator.flushRegistry(Duration.ofSeconds(10))).isTrue();

        JsonNode forModel = json.readTree(get("/api/match?model=sine&explain=true").body());
        JsonNode forDevice = json.readTree(get("/api/match?device=dev-1").body());
        HttpResponse<String> neither = get("/api/match");
        HttpResponse<String> missing = get("/api/match?model=sine&version=99");

        assertThat(forModel.get("model").asText()).isEqualTo(io.tinyfed.registry.Iris.version("sine", 1));
        assertThat(forModel.get("matches")).extracting(m -> m.get("device").asText())
                .containsExactly(io.tinyfed.registry.Iris.device("api", "dev-1"));
        assertThat(forModel.get("excluded")).hasSize(1);
        assertThat(forModel.get("excluded").get(0).get("device").asText()).isEqualTo(io.tinyfed.registry.Iris.device("api", "tiny-1"));
        assertThat(forModel.get("excluded").get(0).get("reasons").get(0).asText()).startsWith("RAM short by ")
                .contains("has 16 B");
        assertThat(forDevice.get("matches")).extracting(m -> m.get("model").asText())
                .contains(io.tinyfed.registry.Iris.version("sine", 1));
        assertThat(neither.statusCode()).isEqualTo(400);
        assertThat(missing.statusCode()).isEqualTo(404);
    }
}
