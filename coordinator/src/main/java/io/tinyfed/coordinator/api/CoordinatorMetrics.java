package io.tinyfed.coordinator.api;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.protocol.RejectReason;
import jakarta.inject.Singleton;

/** Prometheus view of the coordinator (exported at {@code /prometheus}). */
@Singleton
public class CoordinatorMetrics implements MeterBinder {
    private final Coordinator coordinator;

    public CoordinatorMetrics(Coordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("tinyfed.rounds.closed", coordinator, c -> c.engine().history().size())
                .description("Rounds closed since start").register(registry);
        Gauge.builder("tinyfed.model.version", coordinator, c -> c.engine().currentVersion().version())
                .description("Current meta-model version").register(registry);
        Gauge.builder("tinyfed.devices.online", coordinator, c -> c.engine().onlineDevices().size())
                .description("Devices whose last state is online").register(registry);
        Gauge.builder("tinyfed.devices.eligible", coordinator, c -> c.engine().eligible().size())
                .description("Online devices able to train the model").register(registry);
        for (RejectReason reason : RejectReason.values()) {
            Gauge.builder("tinyfed.updates.rejected", coordinator,
                            c -> c.engine().rejectedTotals().getOrDefault(reason, 0L))
                    .tag("reason", reason.name()).description("Updates refused, by reason").register(registry);
            Gauge.builder("tinyfed.messages.rejected", coordinator,
                            c -> c.link().refusedMessages().getOrDefault(reason, 0L))
                    .tag("reason", reason.name()).description("Hello, state and metrics messages refused, by reason")
                    .register(registry);
        }
        io.micrometer.core.instrument.FunctionCounter.builder("tinyfed.updates.received", coordinator,
                c -> c.link().traffic()[0]).description("Update messages received").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("tinyfed.updates.received.bytes", coordinator,
                c -> c.link().traffic()[1]).description("Payload bytes of the update messages received").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("tinyfed.versions.published.bytes", coordinator,
                c -> c.link().traffic()[2]).tag("form", "snapshot")
                .description("Payload bytes of the model versions published, once per version").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("tinyfed.versions.published.bytes", coordinator,
                c -> c.link().traffic()[3]).tag("form", "delta")
                .description("Payload bytes of the model versions published, once per version").register(registry);
        Gauge.builder("tinyfed.async.training", coordinator, c -> c.engine().asyncLoad()[0])
                .description("Asynchronous rounds: devices training now").register(registry);
        Gauge.builder("tinyfed.async.buffered", coordinator, c -> c.engine().asyncLoad()[1])
                .description("Asynchronous rounds: updates waiting for the next outer step").register(registry);
        Gauge.builder("tinyfed.meta.eval.adapted.loss", coordinator, c -> {
            var evals = c.evaluations();
            return evals.isEmpty() ? Double.NaN : evals.get(evals.size() - 1).adaptedLoss();
        }).description("Latest meta-evaluation adapted loss").register(registry);
    }
}
