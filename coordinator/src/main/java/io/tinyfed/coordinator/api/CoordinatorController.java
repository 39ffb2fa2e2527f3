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
        Map<String, RoundEngine.Refusals> refusals = engine.refusalsByDevice();
        Map<String, Integer> rounds = new java.util.HashMap<>();
        for (RoundEngine.RoundSummary r : engine.history()) {
            for (String id : r.accepted()) {
                rounds.merge(id, 1, Integer::sum);
            }
        }
        List<Views.Device> devices = new ArrayList<>();
        for (DeviceHello h : engine.devices().values()) {
            devices.add(device(h, online.contains(h.deviceId()), metrics.get(h.deviceId()),
                    rounds.getOrDefault(h.deviceId(), 0), refusals.get(h.deviceId())));
        }
        return new Views.Fleet(coordinator.fleet(), devices.size(), online.size(), engine.eligible().size(), devices);
    }

    private static Views.Device device(DeviceHello h, boolean online, DeviceMetrics m, int rounds, RoundEngine.Refusals r) {
        return new Views.Device(h.deviceId(), online, h.ramBytes(), h.flashBytes(), h.cpu(),
                h.formats().stream().map(Enum::name).sorted().toList(), h.sensors(), h.gatewayId(),
                m == null ? null : m.samplesSeen(), m == null ? null : finite(m.prequentialLoss()), rounds,
                r == null ? 0 : r.count());
    }

    /** One device: what it announced, its last metrics reports, every round that asked it for an update. */
    @Get("/fleet/{id}")
    public HttpResponse<?> device(@PathVariable String id) {
        RoundEngine engine = coordinator.engine();
        DeviceHello hello = engine.device(id).orElse(null);
        if (hello == null) {
            return HttpResponse.notFound(new Views.Error("no device " + id + " in fleet " + coordinator.fleet()));
        }
        List<Views.DeviceRound> rounds = new ArrayList<>();
        int contributed = 0;
        for (RoundEngine.RoundSummary r : engine.history()) {
            if (!r.selected().contains(id)) {
                continue;
            }
            String part = r.accepted().contains(id) ? "accepted" : r.refusedDevices().contains(id) ? "refused" : "straggled";
            contributed += part.equals("accepted") ? 1 : 0;
            rounds.add(new Views.DeviceRound(r.round(), r.baseVersion(), r.newVersion(), part));
        }
        DeviceMetrics m = coordinator.link().metricsOf(id).orElse(null);
        RoundEngine.Refusals refused = engine.refusalsOf(id).orElse(null);
        List<Views.Report> reports = coordinator.link().metricsHistory().of(id).stream()
                .map(p -> new Views.Report(p.received().toString(), p.samplesSeen(), finite(p.prequentialLoss()),
                        finite(p.prequentialAccuracy()))).toList();
        return HttpResponse.ok(new Views.DeviceDetail(device(hello, engine.isOnline(id), m, contributed,
                refused), m == null ? null : m.arenaBytes(), m == null ? null : m.saturations(), reports, rounds,
                refused == null ? null : refused.lastReason() + ": " + refused.lastDetail(),
                refused == null ? null : refused.last().toString()));
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
        Stored found = stored(modelId, version);
        if (found.error() != null) {
            return found.error();
        }
        ModelStore.Version v = found.version();
        return HttpResponse.ok(io.tinyfed.protocol.WireCodec.encode(coordinator.store().snapshot(v)))
                .contentType(SNAPSHOT_TYPE).header("X-TinyFed-Version", String.valueOf(v.version()))
                .header("Content-Disposition", "attachment; filename=\"" + modelId + "-" + v.version() + ".snapshot\"");
    }

    /**
     * A stored version as C for a microcontroller, one zip: the runtime, {@code model.h}/{@code model.c} with the planned
     * arena, and the S16 model the serial bridge needs ({@code model.tfm}), as {@code tinyfed export c} writes them. An F32
     * version is quantised on inputs uniform in {@code range} ({@code LO:HI}, default -5:5); {@code train=true} lays the
     * arena out for on-device training at learning rate {@code lr} (default: the rounds' inner rate).
     */
    @Get(value = "/models/{modelId}/versions/{version}/c{?train,lr,range}", produces = {"application/zip",
            MediaType.APPLICATION_JSON})
    public HttpResponse<?> cExport(@PathVariable String modelId, @PathVariable String version,
                                   @io.micronaut.core.annotation.Nullable Boolean train,
                                   @io.micronaut.core.annotation.Nullable Float lr,
                                   @io.micronaut.core.annotation.Nullable String range) throws IOException {
        Stored found = stored(modelId, version);
        if (found.error() != null) {
            return found.error();
        }
        ModelStore.Version v = found.version();
        double lo = -5;
        double hi = 5;
        if (range != null) {
            try {
                double[] lohi = io.tinyfed.export.CExport.range(range);
                lo = lohi[0];
                hi = lohi[1];
            } catch (IllegalArgumentException e) {
                return HttpResponse.badRequest(new Views.Error("range " + e.getMessage()))
                        .contentType(MediaType.APPLICATION_JSON_TYPE);
            }
        }
        float rate = lr != null ? lr : coordinator.engine().settings().innerLearningRate();
        if (!(rate > 0 && rate < 10)) {
            return HttpResponse.badRequest(new Views.Error("lr " + lr + ": a learning rate in (0, 10)"))
                    .contentType(MediaType.APPLICATION_JSON_TYPE);
        }
        io.tinyfed.core.TrainingConfig config = Boolean.TRUE.equals(train)
                ? io.tinyfed.core.TrainingConfig.builder().learningRate(rate).seed(1).build()
                : io.tinyfed.core.TrainingConfig.inference();
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        try {
            long arena = io.tinyfed.export.CExport.exportZip(io.tinyfed.export.CExport.toS16(coordinator.store().load(v),
                    lo, hi, 1), "model", config, zip);
            return HttpResponse.ok(zip.toByteArray()).contentType("application/zip")
                    .header("X-TinyFed-Version", String.valueOf(v.version()))
                    .header("X-TinyFed-Arena-Bytes", String.valueOf(arena))
                    .header("Content-Disposition", "attachment; filename=\"" + modelId + "-" + v.version()
                            + (Boolean.TRUE.equals(train) ? "-train" : "") + "-c.zip\"");
        } catch (IllegalArgumentException e) {
            return HttpResponse.unprocessableEntity().body(new Views.Error(e.getMessage()))
                    .contentType(MediaType.APPLICATION_JSON_TYPE);
        }
    }

    /** A stored version found, or the answer that says why not. */
    private record Stored(ModelStore.Version version, HttpResponse<?> error) {
    }

    /** Version {@code version} (a number or latest) of {@code modelId}, or a 400/404 saying what is wrong. */
    private Stored stored(String modelId, String version) throws IOException {
        if (!ModelStore.isValidModelId(modelId)) {
            return new Stored(null, HttpResponse.badRequest(Map.of("error", "invalid model id"))
                    .contentType(MediaType.APPLICATION_JSON_TYPE));
        }
        java.util.Optional<ModelStore.Version> stored;
        if (version.equals("latest")) {
            stored = coordinator.store().latest(modelId);
        } else {
            long number;
            try {
                number = Long.parseLong(version);
            } catch (NumberFormatException e) {
                return new Stored(null, HttpResponse.badRequest(Map.of("error", "version '" + version
                        + "' is neither a number nor latest")).contentType(MediaType.APPLICATION_JSON_TYPE));
            }
            stored = coordinator.store().version(modelId, number);
        }
        if (stored.isEmpty()) {
            return new Stored(null, HttpResponse.notFound(Map.of("error", "no version " + version + " of model " + modelId))
                    .contentType(MediaType.APPLICATION_JSON_TYPE));
        }
        return new Stored(stored.get(), null);
    }

    /** The media type of a signed {@code tinyfed.v1.ModelSnapshot}. */
    public static final String SNAPSHOT_TYPE = "application/x-protobuf";

    /**
     * Matchmaking in the registry: {@code ?model=IRI|ID} (a model id means its {@code version}, a number or latest) for
     * the devices that can run it ({@code training=true}: train it; {@code explain=true}: also every excluded device and
     * what it misses), or {@code ?device=IRI|ID} for the models that fit a device of this fleet.
     */
    @Get("/match{?model,device,version,training,explain}")
    public HttpResponse<?> match(@io.micronaut.core.annotation.Nullable String model,
                                 @io.micronaut.core.annotation.Nullable String device,
                                 @io.micronaut.core.annotation.Nullable String version,
                                 @io.micronaut.core.annotation.Nullable Boolean training,
                                 @io.micronaut.core.annotation.Nullable Boolean explain) throws IOException {
        java.util.Optional<io.tinyfed.registry.Registry> registry = coordinator.registry();
        if (registry.isEmpty()) {
            return HttpResponse.notFound(new Views.Error("this coordinator keeps no registry (--no-registry)"));
        }
        if ((model == null) == (device == null)) {
            return HttpResponse.badRequest(new Views.Error("give model=IRI|ID or device=IRI|ID"));
        }
        io.tinyfed.registry.Purpose purpose = Boolean.TRUE.equals(training) ? io.tinyfed.registry.Purpose.TRAINING
                : io.tinyfed.registry.Purpose.INFERENCE;
        String p = purpose.name().toLowerCase(java.util.Locale.ROOT);
        if (device != null) {
            String iri = device.contains(":") ? device : io.tinyfed.registry.Iris.device(coordinator.fleet(), device);
            List<Views.Match> out = new ArrayList<>();
            for (io.tinyfed.registry.ModelMatch m : registry.get().modelsFor(iri, purpose)) {
                out.add(new Views.Match(iri, m.modelIri(), m.name(), m.format(), m.arenaBytes(), m.arenaEstimated(), null,
                        m.trainableLayers()));
            }
            return HttpResponse.ok(new Views.Matches(null, iri, p, out, null));
        }
        String iri;
        if (model.contains(":")) {
            iri = model;
        } else {
            if (!ModelStore.isValidModelId(model)) {
                return HttpResponse.badRequest(new Views.Error("invalid model id"));
            }
            String v = version == null ? "latest" : version;
            if (!v.equals("latest") && !v.matches("\\d{1,18}")) {
                return HttpResponse.badRequest(new Views.Error("version: a number or latest"));
            }
            java.util.Optional<ModelStore.Version> stored = v.equals("latest") ? coordinator.store().latest(model)
                    : coordinator.store().version(model, Long.parseLong(v));
            if (stored.isEmpty()) {
                return HttpResponse.notFound(new Views.Error("no version " + v + " of model " + model));
            }
            iri = io.tinyfed.registry.Iris.version(model, stored.get().version());
        }
        List<Views.Match> out = new ArrayList<>();
        for (io.tinyfed.registry.DeviceMatch m : registry.get().devicesFor(iri, purpose)) {
            out.add(new Views.Match(m.deviceIri(), iri, null, m.format(), m.arenaBytes(), m.arenaEstimated(), m.ramBytes(),
                    m.trainableLayers()));
        }
        List<Views.Excluded> excluded = null;
        if (Boolean.TRUE.equals(explain)) {
            excluded = new ArrayList<>();
            for (io.tinyfed.registry.Exclusion e : registry.get().exclusions(iri, purpose)) {
                excluded.add(new Views.Excluded(e.deviceIri(), e.reasons()));
            }
        }
        return HttpResponse.ok(new Views.Matches(iri, null, p, out, excluded));
    }

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

    /** The run, the round open now with its quorum and deadline, and the aggregation settings in force. */
    @Get("/training")
    public Views.Training training() {
        RoundEngine e = coordinator.engine();
        RoundEngine.Settings s = e.settings();
        Views.OpenRound open = e.openRound().map(o -> new Views.OpenRound(o.round(), o.selected(), o.accepted(),
                o.refused(), o.early(), o.needed(), o.started().toString(), o.deadline().toString(),
                Math.max(0, java.time.Duration.between(java.time.Instant.now(), o.deadline()).toMillis()))).orElse(null);
        return new Views.Training(view(), open, new Views.Aggregation(e.strategyName(), s.innerSteps(),
                s.innerLearningRate(), s.batchSize(), s.roundTimeout().toString(), s.quorum(), s.minReplies(),
                s.normBound()));
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
        return new Views.Run(coordinator.running(), coordinator.roundsWanted(), e.roundsClosed(), e.roundOpen(),
                e.currentVersion().version());
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
