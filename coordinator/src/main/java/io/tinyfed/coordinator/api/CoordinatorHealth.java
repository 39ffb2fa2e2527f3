package io.tinyfed.coordinator.api;

import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import io.tinyfed.coordinator.Coordinator;
import jakarta.inject.Singleton;
import java.util.Map;
import org.reactivestreams.Publisher;

/**
 * {@code /health} is DOWN (HTTP 503) while the coordinator cannot hear its fleet: its MQTT client
 * has lost the broker, or received messages pile up unhandled.
 */
@Singleton
public class CoordinatorHealth implements HealthIndicator {
    private final Coordinator coordinator;

    public CoordinatorHealth(Coordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public Publisher<HealthResult> getResult() {
        Coordinator.Receiving r = coordinator.receiving();
        return Publishers.just(HealthResult.builder("tinyfed-fleet", r.healthy() ? HealthStatus.UP : HealthStatus.DOWN)
                .details(Map.of("mqttConnected", r.connected(), "unhandledMessages", r.backlog(),
                        "broker", coordinator.brokerUri()))
                .build());
    }
}
