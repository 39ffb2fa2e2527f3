package io.tinyfed.coordinator.api;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.http.sse.Event;
import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.round.RoundEngine;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * What the web dashboard (static files under {@code /dashboard/}) needs beyond the JSON API: a stream of
 * server-sent events that says when something it shows changed ({@code GET /api/events}), and the
 * registry's SPARQL endpoint under the dashboard's own origin ({@code GET /api/sparql?query=...}, read-only,
 * with the endpoint's own time and size limits).
 */
@Controller
public class DashboardController {
    /** How often the state the dashboard shows is compared with what was last sent (in memory, no I/O). */
    static final Duration CHECK = Duration.ofMillis(500);
    /** A comment line this often keeps proxies from closing a quiet stream and lets the page notice a dead one. */
    static final Duration HEARTBEAT = Duration.ofSeconds(15);

    private final Coordinator coordinator;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Inject
    public DashboardController(Coordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Get
    public HttpResponse<?> root() {
        return HttpResponse.seeOther(URI.create("/dashboard/"));
    }

    @Get(value = "/api/events", produces = MediaType.TEXT_EVENT_STREAM)
    public Publisher<Event<?>> events() {
        Flux<Event<?>> changes = Flux.interval(Duration.ZERO, CHECK).map(tick -> live()).distinctUntilChanged()
                .map(l -> Event.of(l).name("state"));
        Flux<Event<?>> heartbeat = Flux.interval(HEARTBEAT, HEARTBEAT).map(tick -> Event.of("").comment("alive"));
        return Flux.merge(changes, heartbeat);
    }

    Views.Live live() {
        RoundEngine e = coordinator.engine();
        long refusedUpdates = 0;
        for (long n : e.rejectedTotals().values()) {
            refusedUpdates += n;
        }
        long refusedMessages = 0;
        for (long n : coordinator.link().refusedMessages().values()) {
            refusedMessages += n;
        }
        int accepted = e.openRound().map(RoundEngine.OpenRound::accepted).orElse(0);
        return new Views.Live(coordinator.fleet(), e.modelId(), coordinator.running(), coordinator.roundsWanted(),
                e.roundsClosed(), e.roundOpen(), accepted, e.currentVersion().version(), e.knownCount(), e.onlineCount(),
                refusedUpdates, refusedMessages, coordinator.evaluations().size(), coordinator.link().samplesReported(),
                coordinator.deployments().summary());
    }

    /** The registry's shipped queries that a user runs as they are (the console's examples). */
    @Get("/api/queries")
    public java.util.List<Views.Query> queries() {
        return io.tinyfed.registry.internal.Resources.EXAMPLE_QUERIES.stream()
                .map(n -> new Views.Query(n, io.tinyfed.registry.internal.Resources.queryText(n))).toList();
    }

    @Get(value = "/api/sparql{?query}", produces = "application/sparql-results+json")
    public HttpResponse<?> sparql(@QueryValue String query) throws InterruptedException {
        if (coordinator.sparqlUrl().isEmpty()) {
            return HttpResponse.notFound(new Views.Error("this coordinator serves no SPARQL endpoint"))
                    .contentType(MediaType.APPLICATION_JSON_TYPE);
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(coordinator.sparqlUrl().get() + "?query="
                        + URLEncoder.encode(query, StandardCharsets.UTF_8)))
                .header("Accept", "application/sparql-results+json").timeout(Duration.ofSeconds(60)).GET().build();
        try {
            java.net.http.HttpResponse<String> answer = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
            if (answer.statusCode() == 200) {
                return HttpResponse.ok(answer.body()).contentType("application/sparql-results+json");
            }
            return HttpResponse.status(HttpStatus.valueOf(answer.statusCode()))
                    .body(new Views.Error(answer.body().strip())).contentType(MediaType.APPLICATION_JSON_TYPE);
        } catch (java.io.IOException ex) {
            return HttpResponse.status(HttpStatus.BAD_GATEWAY).body(new Views.Error("SPARQL endpoint: " + ex.getMessage()))
                    .contentType(MediaType.APPLICATION_JSON_TYPE);
        }
    }
}
