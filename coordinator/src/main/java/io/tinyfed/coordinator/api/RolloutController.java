package io.tinyfed.coordinator.api;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.Deployments;
import io.tinyfed.coordinator.rollout.Rollout;
import io.tinyfed.coordinator.rollout.RolloutPlan;
import io.tinyfed.protocol.DeploymentStatus;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rollouts over HTTP: {@code GET /api/rollouts[/{id}]}, {@code POST /api/rollouts} (create),
 * {@code POST /api/rollouts/{id}/pause|resume|abort|rollback}, and {@code GET /api/deployments}
 * (what every device last reported). A bad request is a 400 with the reason, a transition the
 * rollout's phase does not allow a 409.
 */
@Controller("/api")
public class RolloutController {
    private final Coordinator coordinator;

    @Inject
    public RolloutController(Coordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Get("/rollouts")
    public List<Views.Rollout> list() {
        return coordinator.deployments().list().stream().map(RolloutController::view).toList();
    }

    @Get("/rollouts/{id}")
    public HttpResponse<?> get(@PathVariable String id) {
        return coordinator.deployments().get(id).<HttpResponse<?>>map(s -> HttpResponse.ok(view(s)))
                .orElseGet(() -> HttpResponse.notFound(new Views.Error("no rollout " + id)));
    }

    @Post("/rollouts")
    public HttpResponse<?> create(@Body Views.RolloutRequest r) {
        return guarded(() -> HttpResponse.created(view(coordinator.deployments().create(request(r)))));
    }

    @Post("/rollouts/{id}/pause")
    public HttpResponse<?> pause(@PathVariable String id) {
        return guarded(() -> HttpResponse.ok(view(coordinator.deployments().pause(id))));
    }

    @Post("/rollouts/{id}/resume")
    public HttpResponse<?> resume(@PathVariable String id) {
        return guarded(() -> HttpResponse.ok(view(coordinator.deployments().resume(id))));
    }

    @Post("/rollouts/{id}/abort")
    public HttpResponse<?> abort(@PathVariable String id) {
        return guarded(() -> HttpResponse.ok(view(coordinator.deployments().abort(id))));
    }

    @Post("/rollouts/{id}/rollback")
    public HttpResponse<?> rollback(@PathVariable String id) {
        return guarded(() -> HttpResponse.ok(view(coordinator.deployments().rollback(id))));
    }

    @Get("/deployments")
    public List<Views.Deployment> deployments() {
        List<Views.Deployment> out = new ArrayList<>();
        for (DeploymentStatus s : new TreeMap<>(coordinator.deployments().reported()).values()) {
            out.add(new Views.Deployment(s.deviceId(), s.rolloutId(), s.state().name(), s.modelId(), version(s.servingVersion()),
                    version(s.previousVersion()), s.format() == null ? null : s.format().name(), s.reason(),
                    finite(s.candidateLoss()), finite(s.previousLoss()), s.personalised()));
        }
        return out;
    }

    private interface Call {
        HttpResponse<?> run() throws Exception;
    }

    private static HttpResponse<?> guarded(Call call) {
        try {
            return call.run();
        } catch (IllegalArgumentException e) {
            boolean missing = e.getMessage() != null && e.getMessage().startsWith("no rollout ");
            return HttpResponse.status(missing ? HttpStatus.NOT_FOUND : HttpStatus.BAD_REQUEST)
                    .body(new Views.Error(e.getMessage()));
        } catch (IllegalStateException e) {
            return HttpResponse.status(HttpStatus.CONFLICT).body(new Views.Error(e.getMessage()));
        } catch (Exception e) {
            return HttpResponse.serverError(new Views.Error(String.valueOf(e.getMessage())));
        }
    }

    static Deployments.Request request(Views.RolloutRequest r) {
        RolloutPlan d = RolloutPlan.DEFAULT;
        RolloutPlan plan = new RolloutPlan(r.waves() != null ? r.waves() : d.waves(),
                r.waveTimeout() != null ? RolloutPlan.duration(r.waveTimeout()) : d.waveTimeout(),
                r.minSuccess() != null ? r.minSuccess() : d.minSuccess(),
                r.maxLossRatio() != null ? r.maxLossRatio() : d.maxLossRatio(),
                r.shadowSamples() != null ? r.shadowSamples() : d.shadowSamples(),
                r.personaliseSteps() != null ? r.personaliseSteps() : d.personaliseSteps(),
                r.personaliseLearningRate() != null ? r.personaliseLearningRate() : d.personaliseLearningRate());
        return new Deployments.Request(r.id(), r.version(), r.devices(), Boolean.TRUE.equals(r.fleet()), r.sparql(), plan,
                r.seed());
    }

    static Views.Rollout view(Rollout.State s) {
        List<Views.Wave> waves = new ArrayList<>();
        int start = 0;
        for (Rollout.Wave w : s.waves()) {
            waves.add(new Views.Wave(w.index() + 1, w.end() - start, text(w.opened()), text(w.deadline()), text(w.closed()),
                    w.installedFraction(), w.medianLossRatio(), w.compared(), w.verdict()));
            start = w.end();
        }
        List<Views.RolloutDevice> devices = new ArrayList<>();
        for (Rollout.Device d : s.devices()) {
            devices.add(new Views.RolloutDevice(d.id(), d.wave() + 1, d.step().name(), d.reason(), version(d.servingVersion()),
                    d.shadowSamples(), finite(d.candidateLoss()), finite(d.previousLoss()), finite(d.lossRatio()),
                    d.personalised(), finite(d.genericLoss())));
        }
        Map<String, Integer> counts = new TreeMap<>();
        s.counts().forEach((k, v) -> counts.put(k.name(), v));
        return new Views.Rollout(s.id(), s.modelId(), s.version(), s.phase().name(), s.reason(), text(s.created()),
                s.currentWave() + 1, counts, waves, devices,
                s.decisions().stream().map(x -> new Views.Decision(x.at().toString(), x.text())).toList());
    }

    private static String text(Instant t) {
        return t == null ? null : t.toString();
    }

    private static Long version(long v) {
        return v < 0 ? null : v;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
