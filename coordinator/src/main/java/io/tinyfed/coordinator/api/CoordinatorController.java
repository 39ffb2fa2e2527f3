package io.tinyfed.coordinator.api;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.store.ModelStore;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.DeviceMetrics;
import jakarta.inject.Inject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The coordinator's JSON API: fleet, rounds, model versions, meta-evaluation history, rejection
 * counters, and starting/stopping a training run. Health is {@code /health}, Prometheus metrics
 * {@code /prometheus} (Micronaut management and Micrometer).
 */
@Controller("/api")
public class CoordinatorController {
    private final Coordinator coordinator;

    @Inject
    public CoordinatorController(Coordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Get("/fleet")
    public Views.Fleet fleet() {
        RoundEngine engine = coordinator.engine();
        Set<String> online = engine.onlineDevices();
        Map<String, DeviceMetrics> metrics = coordinator.link().metrics();
        List<Views.Device> devices = new ArrayList<>();
        for (DeviceHello h : engine.devices().values()) {
            DeviceMetrics m = metrics.get(h.deviceId());
            devices.add(new Views.Device(h.deviceId(), online.contains(h.deviceId()), h.ramBytes(), h.flashBytes(), h.cpu(),
                    h.formats().stream().map(Enum::name).sorted().toList(), h.sensors(), h.gatewayId(),
                    m == null ? null : m.samplesSeen(), m == null ? null : finite(m.prequentialLoss())));
        }
        return new Views.Fleet(coordinator.fleet(), devices.size(), online.size(), engine.eligible().size(), devices);
    }

    @Get("/rounds")
    public List<Views.Round> rounds() {
        List<Views.Round> out = new ArrayList<>();
        for (RoundEngine.RoundSummary r : coordinator.engine().history()) {
            Map<String, Integer> rejected = new TreeMap<>();
            r.rejected().forEach((k, v) -> rejected.put(k.name(), v));
            out.add(new Views.Round(r.round(), r.baseVersion(), r.newVersion(), r.selected(), r.accepted(), rejected,
                    r.stragglers(), r.started().toString(), r.ended().toString(), r.outcome(), finite(r.meanLossBefore()),
                    finite(r.meanLossAfter())));
        }
        return out;
    }

    @Get("/models/{modelId}/versions")
    public HttpResponse<List<Views.Version>> versions(@PathVariable String modelId) throws IOException {
        if (!ModelStore.isValidModelId(modelId)) {
            return HttpResponse.badRequest();
        }
        List<ModelStore.Version> versions = coordinator.store().versions(modelId);
        if (versions.isEmpty()) {
            return HttpResponse.notFound();
        }
        List<Views.Version> out = new ArrayList<>();
        for (ModelStore.Version v : versions) {
            out.add(new Views.Version(v.modelId(), v.version(), v.round(), v.parentVersion(), v.sha256(), v.strategy(),
                    v.contributors(), v.rejected(), v.metaEvalLoss(), v.createdAt().toString()));
        }
        return HttpResponse.ok(out);
    }

    /**
     * A stored version as the signed snapshot devices receive ({@code tinyfed.v1} protobuf; verify it
     * with the store's trust file): {@code version} is a number or {@code latest}.
     */
    @Get(value = "/models/{modelId}/versions/{version}/snapshot", produces = {SNAPSHOT_TYPE, MediaType.APPLICATION_JSON})
    public HttpResponse<?> snapshot(@PathVariable String modelId, @PathVariable String version) throws IOException {
        if (!ModelStore.isValidModelId(modelId)) {
            return HttpResponse.badRequest(Map.of("error", "invalid model id")).contentType(MediaType.APPLICATION_JSON_TYPE);
        }
        java.util.Optional<ModelStore.Version> stored;
        if (version.equals("latest")) {
            stored = coordinator.store().latest(modelId);
        } else {
            long number;
            try {
                number = Long.parseLong(version);
            } catch (NumberFormatException e) {
                return HttpResponse.badRequest(Map.of("error", "version '" + version + "' is neither a number nor latest"))
                        .contentType(MediaType.APPLICATION_JSON_TYPE);
            }
            stored = coordinator.store().version(modelId, number);
        }
        if (stored.isEmpty()) {
            return HttpResponse.notFound(Map.of("error", "no version " + version + " of model " + modelId))
                    .contentType(MediaType.APPLICATION_JSON_TYPE);
        }
        ModelStore.Version v = stored.get();
        return HttpResponse.ok(io.tinyfed.protocol.WireCodec.encode(coordinator.store().snapshot(v)))
                .contentType(SNAPSHOT_TYPE).header("X-TinyFed-Version", String.valueOf(v.version()))
                .header("Content-Disposition", "attachment; filename=\"" + modelId + "-" + v.version() + ".snapshot\"");
    }

    /** The media type of a signed {@code tinyfed.v1.ModelSnapshot}. */
    public static final String SNAPSHOT_TYPE = "application/x-protobuf";

    @Get("/metrics/history")
    public List<Views.Evaluation> evaluations() {
        return coordinator.evaluations().stream()
                .map(e -> new Views.Evaluation(e.round(), e.version(), e.adaptedLoss())).toList();
    }

    @Get("/rejections")
    public Views.Rejections rejections() {
        Map<String, Long> updates = new TreeMap<>();
        coordinator.engine().rejectedTotals().forEach((k, v) -> updates.put(k.name(), v));
        Map<String, Long> messages = new TreeMap<>();
        coordinator.link().refusedMessages().forEach((k, v) -> messages.put(k.name(), v));
        return new Views.Rejections(updates, messages);
    }

    @Get("/runs/current")
    public Views.Run run() {
        return view();
    }

    @Post("/runs")
    public HttpResponse<Views.Run> start(@Body Views.RunRequest request) {
        if (request.rounds() < 1 || request.rounds() > 1_000_000) {
            return HttpResponse.badRequest();
        }
        coordinator.startRun(coordinator.engine().history().size() + request.rounds());
        return HttpResponse.accepted().body(view());
    }

    @Delete("/runs/current")
    public Views.Run stop() {
        coordinator.stopRun();
        return view();
    }

    private Views.Run view() {
        RoundEngine e = coordinator.engine();
        return new Views.Run(coordinator.running(), coordinator.roundsWanted(), e.history().size(), e.roundOpen(),
                e.currentVersion().version());
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
