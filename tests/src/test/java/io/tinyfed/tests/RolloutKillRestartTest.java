package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.agent.Agent;
import io.tinyfed.coordinator.CoordinatorMain;
import io.tinyfed.coordinator.DeployCommand;
import io.tinyfed.coordinator.rollout.Rollout;
import io.tinyfed.coordinator.store.RolloutStore;
import io.tinyfed.protocol.DeploymentStatus;
import io.tinyfed.simulators.SimulatedFleet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A rollout survives {@code kill -9} of its coordinator: killed while the second wave is open, the
 * restarted coordinator (same store and broker port) continues from its persisted state, the
 * rollout succeeds, and no device installs the version twice (the canary's finished wave is never
 * sent again).
 */
class RolloutKillRestartTest {
    private static final Pattern HTTP = Pattern.compile("HTTP (http://127\\.0\\.0\\.1:\\d+)");

    @RegisterExtension
    final ProcessLogs logs = new ProcessLogs();

    private static Process coordinator(Path store, Path credentials, int brokerPort, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                CoordinatorMain.class.getName(), "--store", store.toString(), "--fleet", "rollout-restart",
                "--broker-port", String.valueOf(brokerPort), "--http-port", "0", "--sparql-port", "0",
                "--credentials", credentials.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** The HTTP API URL the newest coordinator in {@code log} printed. */
    private static String apiUrl(Path log) throws Exception {
        Matcher m = HTTP.matcher(Files.readString(log));
        String url = null;
        while (m.find()) {
            url = m.group(1);
        }
        return url;
    }

    private static Rollout.State persisted(Path store) throws Exception {
        List<Rollout.State> all = new RolloutStore(store).load();
        return all.isEmpty() ? null : all.get(0);
    }

    @Test
    void killedMidRollout_theRestartedCoordinatorFinishesItWithoutSendingAWaveTwice(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path credentials = dir.resolve("devices.credentials");
        Path log = logs.add(dir.resolve("coordinator.log"));
        int port = CoordinatorKillRestartTest.freePort();
        SimulatedFleet fleet = new SimulatedFleet("rollout-restart", 4, 9);
        fleet.credentials().write(credentials);

        Process first = coordinator(store, credentials, port, log);
        try (SimulatedFleet agents = fleet) {
            Path trust = store.resolve("keys").resolve("trust.keys");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(trust) && apiUrl(log) != null);
            agents.start("tcp://127.0.0.1:" + port, trust);
            await().atMost(Duration.ofSeconds(60)).until(() -> agents.agents().stream()
                    .allMatch(a -> a.stats().modelVersion() == 1));
            // 2,000 shadow samples take each device about ten seconds at its 5 ms sampling period: long enough to
            // kill the coordinator while the second wave is open, however busy the machine (sampling slows with it).
            StringWriter out = new StringWriter();
            CommandLine deploy = io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new DeployCommand()));
            deploy.setOut(new PrintWriter(out, true));
            deploy.setErr(new PrintWriter(out, true));
            assertThat(deploy.execute("create", "--id", "r-kill", "--fleet", "--waves", "25%,100%", "--wave-timeout", "5m",
                    "--shadow-samples", "2000", "--api", apiUrl(log), "--store", store.toString())).as(out.toString()).isZero();
            await().atMost(Duration.ofMinutes(2)).until(() -> persisted(store).waves().get(1).opened() != null);

            first.destroyForcibly();                                            // SIGKILL: no shutdown hook
            assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();
            Rollout.State atKill = persisted(store);
            assertThat(atKill.phase()).isEqualTo(Rollout.Phase.RUNNING);
            assertThat(atKill.waves().get(0).closed()).isNotNull();
            assertThat(atKill.waves().get(1).closed()).as("killed while the second wave was open").isNull();

            Process second = coordinator(store, credentials, port, log);
            try {
                await().atMost(Duration.ofMinutes(3)).until(() -> !persisted(store).phase().active());
            } finally {
                second.destroy();
                second.waitFor(20, TimeUnit.SECONDS);
            }
            Rollout.State done = persisted(store);
            assertThat(done.phase()).as("%s", done.decisions()).isEqualTo(Rollout.Phase.SUCCEEDED);
            assertThat(done.counts()).containsEntry(Rollout.Step.SERVING, 4);
            for (Agent a : agents.agents()) {
                assertThat(a.stats().installs()).as("installs on one device").isEqualTo(1);
                assertThat(a.deployment().map(DeploymentStatus::state)).contains(DeploymentStatus.State.SERVING);
            }
            assertThat(Files.readString(log)).contains("rollout r-kill continues: sine v1, wave 2 of 2");
        }
    }
}
