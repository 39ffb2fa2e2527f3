package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.broker.DeviceCredentials;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.store.ModelStore;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.simulators.tasks.SineFamily;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * The agent as an OSGi bundle in Eclipse Equinox (the framework Eclipse Kura gateways run): the agent package's
 * {@code osgi/} bundles (TinyFed's core, protocol and agent, protobuf, picocli, Failsafe, and Paho with a manifest
 * that exports its packages), each in its own class loader, resolve and start; the agent configured by its framework property joins a real coordinator
 * and contributes to a model version; stopping the bundle takes the device offline.
 */
class AgentBundleTest {
    private static final Path DISTRIBUTION = Path.of(System.getProperty("tinyfed.distribution.dir", "../distribution"));

    /** The agent package's {@code osgi/} directory: every bundle the agent needs. */
    private static List<Path> agentBundles() throws Exception {
        Path target = DISTRIBUTION.resolve("agent").resolve("target");
        List<Path> bundles = new ArrayList<>();
        try (var images = Files.newDirectoryStream(target, "tinyfed-agent-*")) {
            for (Path image : images) {
                if (Files.isDirectory(image.resolve("osgi"))) {
                    try (var jars = Files.newDirectoryStream(image.resolve("osgi"), "*.jar")) {
                        jars.forEach(bundles::add);
                    }
                }
            }
        }
        assertThat(bundles).as("bundles in %s/tinyfed-agent-*/osgi: build the packages first (./mvnw package)",
                target.toAbsolutePath()).isNotEmpty();
        bundles.sort(null);
        return bundles;
    }

    @Test
    void theAgentBundle_startsInEquinox_joinsARound_andStopsOffline(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        DeviceCredentials credentials = DeviceCredentials.empty();
        credentials.put("osgi-dev", "bundle-secret-1".toCharArray());
        try (Coordinator c = Coordinator.builder().fleet("kura").store(store).credentials(credentials)
                .initialModel(Model.initialize(SineFamily.ARCHITECTURE, 1)).withoutRegistry()
                .rounds(new RoundEngine.Settings("sine", 8, 0.02f, 10, Duration.ofSeconds(10), 1.0, 1, 1e3, 1))
                .strategy(new ReptileStrategy(1.0, false, 1000, Selection.upTo(1))).start()) {
            Path password = Files.writeString(dir.resolve("osgi-dev.password"), "bundle-secret-1\n");
            Path config = Files.write(dir.resolve("osgi-dev.conf"), List.of("# as /etc/tinyfed/agent/osgi-dev.conf",
                    "broker=" + c.brokerUri(), "fleet=kura", "id=osgi-dev", "trust=" + c.trustFile(),
                    "password-file=" + password, "data=sine:1.2,0.3,5", "profile=gateway", "sample-ms=5"));
            Map<String, String> properties = new HashMap<>();
            properties.put("org.osgi.framework.storage", dir.resolve("equinox").toString());
            properties.put("org.osgi.framework.storage.clean", "onFirstInit");
            properties.put("tinyfed.agent.config", config.toString());
            Framework framework = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(properties);
            framework.start();
            try {
                BundleContext context = framework.getBundleContext();
                List<Bundle> bundles = new ArrayList<>();
                for (Path jar : agentBundles()) {
                    bundles.add(context.installBundle("reference:" + jar.toUri()));
                }
                for (Bundle b : bundles) {
                    b.start();
                }
                Bundle agent = bundles.stream().filter(b -> "io.tinyfed.agent".equals(b.getSymbolicName())).findFirst()
                        .orElseThrow();
                assertThat(bundles).extracting(Bundle::getSymbolicName).contains("io.tinyfed.core", "io.tinyfed.protocol",
                        "org.eclipse.paho.mqttv5.client", "com.google.protobuf");
                for (Bundle b : bundles) {
                    assertThat(b.getState()).as(b.getSymbolicName()).isEqualTo(Bundle.ACTIVE);
                }
                assertThat(agent.loadClass("io.tinyfed.protocol.ModelSnapshot").getClassLoader())
                        .as("the agent sees the protocol bundle's classes, not the test's")
                        .isNotSameAs(io.tinyfed.protocol.ModelSnapshot.class.getClassLoader());

                await().atMost(Duration.ofSeconds(60)).until(() -> c.engine().onlineDevices().contains("osgi-dev"));
                long before = new ModelStore(store).versions("sine").size();
                c.startRun(1);
                await().atMost(Duration.ofSeconds(90)).until(() -> new ModelStore(store).versions("sine").stream()
                        .skip(before).anyMatch(v -> v.contributors().contains("osgi-dev")));

                agent.stop();
                await().atMost(Duration.ofSeconds(30)).until(() -> !c.engine().onlineDevices().contains("osgi-dev"));
                assertThat(agent.getState()).isEqualTo(Bundle.RESOLVED);
            } finally {
                framework.stop();
                framework.waitForStop(30_000);
            }
        }
    }
}
