package io.tinyfed.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The SPARQL 1.1 Protocol endpoint, spoken to with a plain HTTP client as any SPARQL client would. */
class SparqlEndpointTest {
    private static final String QUERY = "SELECT ?id WHERE { ?d <https://tinyfed.io/ns#deviceId> ?id }";
    private static final String UPDATE = "INSERT DATA { GRAPH <urn:g> { <urn:x> <urn:y> <urn:z> } }";
    private final HttpClient http = HttpClient.newHttpClient();
    private Registry registry;
    private SparqlEndpoint endpoint;

    @BeforeEach
    void start() {
        registry = Registry.inMemory();
        registry.registerDevice(Fixtures.m4("d-1"));
        endpoint = SparqlEndpoint.builder().registry(registry).port(0).adminSecret("s3cret".toCharArray()).start();
    }

    @AfterEach
    void stop() {
        endpoint.close();
        registry.close();
    }

    private HttpResponse<String> query(SparqlEndpoint on, String sparql) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(on.queryUrl() + "?query="
                + URLEncoder.encode(sparql, StandardCharsets.UTF_8))).header("Accept", "text/csv")
                .timeout(java.time.Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRunawayQuery_isCancelledAndTheEndpointKeepsAnswering() throws Exception {
        for (int i = 2; i <= 40; i++) {
            registry.registerDevice(Fixtures.m4("d-" + i));
        }
        SparqlEndpoint bounded = SparqlEndpoint.builder().registry(registry).port(0)
                .queryTimeout(java.time.Duration.ofSeconds(1)).start();
        try {
            String cartesian = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }";
            java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> abusive = new java.util.ArrayList<>();
            for (int k = 0; k < SparqlEndpoint.DEFAULT_MAX_CONCURRENT_QUERIES - 1; k++) { // one slot stays free
                abusive.add(http.sendAsync(HttpRequest.newBuilder(URI.create(bounded.queryUrl() + "?query="
                        + URLEncoder.encode(cartesian, StandardCharsets.UTF_8))).timeout(java.time.Duration.ofSeconds(60))
                        .build(), HttpResponse.BodyHandlers.ofString()));
            }

            HttpResponse<String> simple = query(bounded, QUERY);

            assertThat(simple.statusCode()).isEqualTo(200);
            assertThat(simple.body()).contains("d-1");
            for (var f : abusive) {
                HttpResponse<String> r = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(r.statusCode()).as("cancelled, not answered: %s", r.body()).isNotEqualTo(200);
            }
        } finally {
            bounded.close();
        }
    }

    /**
     * With every query slot taken by an abusive query, another query gets 503 with Retry-After (counted) instead of
     * queueing without end; once the abusive one is cancelled by the timeout, queries are answered again.
     */
    @Test
    void queriesBeyondTheConcurrencyCap_get503_andTheEndpointRecovers() throws Exception {
        for (int i = 2; i <= 40; i++) {
            registry.registerDevice(Fixtures.m4("d-" + i));
        }
        SparqlEndpoint bounded = SparqlEndpoint.builder().registry(registry).port(0).maxConcurrentQueries(1)
                .queryTimeout(java.time.Duration.ofSeconds(5)).start();
        try {
            String cartesian = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }";
            var abusive = http.sendAsync(HttpRequest.newBuilder(URI.create(bounded.queryUrl() + "?query="
                    + URLEncoder.encode(cartesian, StandardCharsets.UTF_8))).timeout(java.time.Duration.ofSeconds(60))
                    .build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> refused = null;
            long end = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            while (!abusive.isDone() && System.nanoTime() < end) {
                HttpResponse<String> r = query(bounded, QUERY);
                if (r.statusCode() == 503) {
                    refused = r;
                    break;
                }
            }
            assertThat(refused).as("a query while the only slot is taken").isNotNull();
            assertThat(refused.headers().firstValue("Retry-After")).contains("1");
            assertThat(refused.body()).contains("runs 1 queries at once");
            assertThat(bounded.busyRefusals()).isPositive();

            abusive.get(60, java.util.concurrent.TimeUnit.SECONDS);
            HttpResponse<String> after = query(bounded, QUERY);
            assertThat(after.statusCode()).isEqualTo(200);
            assertThat(after.body()).contains("d-1");
        } finally {
            bounded.close();
        }
    }

    @Test
    void aResponseLargerThanTheCap_isCutOffAndCounted() throws Exception {
        for (int i = 2; i <= 40; i++) {
            registry.registerDevice(Fixtures.m4("d-" + i));
        }
        SparqlEndpoint bounded = SparqlEndpoint.builder().registry(registry).port(0).maxResultBytes(4096).start();
        try {
            String everything = "SELECT * WHERE { ?s ?p ?o }";
            HttpResponse<String> small = query(bounded, QUERY);
            java.util.concurrent.CompletableFuture<HttpResponse<String>> big = http.sendAsync(HttpRequest.newBuilder(
                    URI.create(bounded.queryUrl() + "?query=" + URLEncoder.encode(everything, StandardCharsets.UTF_8)))
                    .timeout(java.time.Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(small.statusCode()).isEqualTo(200);
            // cut off: the client sees an error or a body no longer than the cap, never the whole result
            try {
                HttpResponse<String> r = big.get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(r.body().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(4096);
            } catch (java.util.concurrent.ExecutionException expected) {
                assertThat(expected.getCause()).isInstanceOf(java.io.IOException.class);
            }
            assertThat(bounded.truncatedResults()).isPositive();
            assertThat(query(bounded, QUERY).statusCode()).isEqualTo(200);
        } finally {
            bounded.close();
        }
    }

    @Test
    void service_isRefusedAndFetchesNothing() throws Exception {
        java.util.concurrent.atomic.AtomicInteger fetched = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer target = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        target.createContext("/", exchange -> {
            fetched.incrementAndGet();
            byte[] body = "secret-internal-page".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        target.start();
        try {
            String ssrf = "SELECT * WHERE { SERVICE <http://127.0.0.1:" + target.getAddress().getPort()
                    + "/sparql> { ?s ?p ?o } }";

            HttpResponse<String> r = query(endpoint, ssrf);

            assertThat(r.statusCode()).isNotEqualTo(200);
            assertThat(r.body()).doesNotContain("secret-internal-page");
            assertThat(fetched.get()).as("requests that reached the other server").isZero();
        } finally {
            target.stop(0);
        }
    }

    @Test
    void query_overGetAnswersJsonAndCsv() throws Exception {
        String url = endpoint.queryUrl() + "?query=" + URLEncoder.encode(QUERY, StandardCharsets.UTF_8);

        HttpResponse<String> json = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Accept", "application/sparql-results+json").build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> csv = http.send(HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/csv").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(json.statusCode()).isEqualTo(200);
        assertThat(json.body()).contains("\"value\": \"d-1\"");
        assertThat(csv.statusCode()).isEqualTo(200);
        assertThat(csv.body()).isEqualToNormalizingNewlines("id\r\nd-1\r\n".replace("\r\n", "\n"));
    }

    @Test
    void query_overPostAnswersXml() throws Exception {
        HttpResponse<String> xml = http.send(HttpRequest.newBuilder(URI.create(endpoint.datasetUrl() + "/query"))
                .header("Content-Type", "application/sparql-query").header("Accept", "application/sparql-results+xml")
                .POST(HttpRequest.BodyPublishers.ofString(QUERY)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(xml.statusCode()).isEqualTo(200);
        assertThat(xml.body()).contains("<literal>d-1</literal>");
    }

    @Test
    void update_isRefusedWithoutCredentialsAndChangesNothing() throws Exception {
        HttpResponse<String> anonymous = postUpdate(null);
        HttpResponse<String> wrong = postUpdate("tinyfed-admin:wrong");
        HttpResponse<String> queryEndpoint = http.send(HttpRequest.newBuilder(URI.create(endpoint.queryUrl()))
                .header("Content-Type", "application/sparql-update").POST(HttpRequest.BodyPublishers.ofString(UPDATE)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(queryEndpoint.statusCode()).isBetween(400, 499);
        assertThat(registry.select("SELECT * WHERE { <urn:x> ?p ?o }").size()).isZero();
    }

    @Test
    void update_withTheAdminSecretIsApplied() throws Exception {
        HttpResponse<String> ok = postUpdate("tinyfed-admin:s3cret");

        assertThat(ok.statusCode()).isIn(200, 204);
        assertThat(registry.select("SELECT * WHERE { <urn:x> ?p ?o }").size()).isEqualTo(1);
    }

    private HttpResponse<String> postUpdate(String credentials) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint.datasetUrl() + "/update"))
                .header("Content-Type", "application/sparql-update").POST(HttpRequest.BodyPublishers.ofString(UPDATE));
        if (credentials != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void match_answersMatchmakingOverHttp_withTheExcludedDevicesWhenAsked() throws Exception {
        registry.importFile(Fixtures.file("published-sensor-boards.ttl"));
        registry.importFile(Fixtures.file("published-sensor-models.ttl"));
        String model = URLEncoder.encode("http://tinyml-schema.org/neuralnetwork/person-detection", StandardCharsets.UTF_8);

        HttpResponse<String> explained = http.send(HttpRequest.newBuilder(URI.create(endpoint.datasetUrl()
                + "/match?explain=true&model=" + model)).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(endpoint.datasetUrl() + "/match")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(explained.statusCode()).isEqualTo(200);
        com.fasterxml.jackson.databind.JsonNode body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(explained.body());
        assertThat(body.get("matches")).extracting(m -> m.get("device").asText())
                .containsExactly("http://tinyml-schema.org/tinyml-demo/board-camera");
        assertThat(body.get("excluded")).extracting(m -> m.get("device").asText()).contains(
                "http://tinyml-schema.org/tinyml-demo/board-thermometer", Iris.device("f1", "d-1"));
        assertThat(body.get("excluded").get(0).get("reasons").get(0).asText()).isNotBlank();
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("give model=IRI|ID or device=IRI");
    }
}
