package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.broker.EmbeddedBroker;
import io.tinyfed.core.Model;
import io.tinyfed.protocol.Deploy;
import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.protocol.mqtt.Transport;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/** What the deployment end-to-end tests check and send beside the coordinator's own rollouts. */
final class DeploymentChecks {
    private DeploymentChecks() {
    }

    /** deployed-where.rq has one row per device, with the version in {@code servingByDevice} (what each device reports). */
    static void assertRegistryAgrees(Coordinator c, Map<String, String> servingByDevice) {
        Map<String, String> reported = new TreeMap<>(servingByDevice);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(c.flushDeployments(Duration.ofSeconds(10))).isTrue();
            Map<String, String> registry = new TreeMap<>();
            for (Map<String, String> row : c.registry().orElseThrow().selectResource("deployed-where.rq").rows()) {
                registry.put(row.get("deviceId"), row.get("version"));
            }
            assertThat(registry).isEqualTo(reported);
        });
    }

    /** refused-deploys.rq names {@code deviceId}'s last refusal, of a deploy naming {@code rolloutId}, with {@code reason}. */
    static void assertRefusalRecorded(Coordinator c, String deviceId, String rolloutId, String reason) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(c.flushDeployments(Duration.ofSeconds(10))).isTrue();
            assertThat(c.registry().orElseThrow().selectResource("refused-deploys.rq").rows())
                    .filteredOn(r -> r.get("deviceId").equals(deviceId)).singleElement().satisfies(r -> {
                        assertThat(r.get("namedRollout")).isEqualTo(rolloutId);
                        assertThat(r.get("reason")).contains(reason);
                    });
        });
    }

    /**
     * Publishes to {@code deviceId} an install of {@code model} naming rollout {@code rolloutId}, signed by a key no
     * device trusts, with the coordinator's own broker login (what a stolen broker password allows).
     */
    static void publishForgedInstall(Coordinator c, String fleet, String deviceId, String rolloutId, Model model)
            throws Exception {
        SnapshotSigner stranger = new SnapshotSigner("coordinator", SnapshotSigner.generateKeyPair().getPrivate());
        Deploy forged = new Deploy(rolloutId, 0, Deploy.Action.INSTALL, stranger.sign("sine", 1, model, Instant.now()), 0,
                0, 0f, Instant.now());
        try (PahoTransport raw = new PahoTransport(c.brokerUri(), "forger-" + System.nanoTime(),
                EmbeddedBroker.COORDINATOR_USER, c.brokerSecret(), null)) {
            raw.connect(new Transport.Listener() {
                @Override
                public void message(String topic, byte[] payload) {
                }

                @Override
                public void connected(boolean reconnect) {
                }
            }, null, null);
            raw.publish(Topics.of(fleet).device(deviceId, Topics.DeviceTopic.DEPLOY),
                    WireCodec.encode(forged, deviceId, stranger), false);
        }
    }
}
