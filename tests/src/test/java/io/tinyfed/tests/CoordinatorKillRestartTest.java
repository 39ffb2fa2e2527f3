package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.coordinator.CoordinatorMain;
import io.tinyfed.coordinator.store.ModelStore;
import io.tinyfed.simulators.SimulatedFleet;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator as a separate process, killed with SIGKILL mid-run and restarted on the same
 * store and broker port: it resumes from the last stored version, the agents reconnect on their
 * own, rounds continue with fresh numbers, and no round is aggregated twice. Every listener but the
 * broker (which the restart must find again) takes a free port, so the test runs beside any other
 * coordinator on the machine.
 */
class CoordinatorKillRestartTest {
    @RegisterExtension
    final ProcessLogs logs = new ProcessLogs();

    /** A port free on 127.0.0.1 now, for a process that must find it again after a restart. */
    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    private static Process coordinator(Path store, Path credentials, int brokerPort, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx512m", "-Dlogback.configurationFile=logback-tinyfed.xml",
                "-cp", System.getProperty("java.class.path"), CoordinatorMain.class.getName(),
                "--store", store.toString(), "--fleet", "restart", "--broker-port", String.valueOf(brokerPort),
                "--http-port", "0", "--sparql-port", "0", "--credentials", credentials.toString(), "--rounds", "100000", "--per-round", "4",
                "--round-timeout", "5s")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    private static long storedVersions(Path store) throws Exception {
        return new ModelStore(store).versions("sine").size();
    }

    @Test
    void killedCoordinatorResumesFromItsStoreWithoutCountingAnyRoundTwice(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path credentials = dir.resolve("devices.credentials");
        Path log = logs.add(dir.resolve("coordinator.log"));
        int port = freePort();
        SimulatedFleet fleet = new SimulatedFleet("restart", 6, 5);
        fleet.credentials().write(credentials);

        Process first = coordinator(store, credentials, port, log);
        try (SimulatedFleet agents = fleet) {
            Path trust = store.resolve("keys").resolve("trust.keys");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(trust) && first.isAlive()
                    && Files.readString(log).contains("coordinator of fleet"));
            agents.start("tcp://127.0.0.1:" + port, trust);
            await().atMost(Duration.ofSeconds(90)).until(() -> storedVersions(store) >= 6);

            first.destroyForcibly();                                            // SIGKILL: no shutdown hook
            assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();
            List<ModelStore.Version> before = new ModelStore(store).versions("sine");
            ModelStore.Version last = before.get(before.size() - 1);

            Process second = coordinator(store, credentials, port, log);
            try {
                await().atMost(Duration.ofSeconds(120)).until(() -> storedVersions(store) >= before.size() + 3);
            } finally {
                second.destroy();
                second.waitFor(20, TimeUnit.SECONDS);
            }
            List<ModelStore.Version> after = new ModelStore(store).versions("sine");
            ModelStore.Version resumed = after.get(before.size());
            assertThat(resumed.parentVersion()).as("first version after the restart builds on the stored one")
                    .isEqualTo(last.version());
            assertThat(resumed.round()).as("round numbers are never reused").isGreaterThan(last.round());
            Set<Integer> rounds = new HashSet<>();
            for (ModelStore.Version v : after.subList(1, after.size())) {
                assertThat(rounds.add(v.round())).as("round %d aggregated once", v.round()).isTrue();
                assertThat(v.contributors()).doesNotHaveDuplicates();
            }
            for (int i = 1; i < after.size(); i++) {
                assertThat(after.get(i).parentVersion()).isEqualTo(after.get(i - 1).version());
            }
            assertThat(Files.readString(log)).contains("resuming sine at version " + last.version());
        }
    }

    @Test
    void aStoreInUse_isOneLineNamingTheProcess_forAnotherCoordinatorAndForTheRegistryCommands(@TempDir Path dir)
            throws Exception {
        Path store = dir.resolve("store");
        Path credentials = dir.resolve("devices.credentials");
        Path log = logs.add(dir.resolve("coordinator.log"));
        new SimulatedFleet("restart", 1, 5).credentials().write(credentials);
        Process holder = coordinator(store, credentials, freePort(), log);
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> !holder.isAlive()
                    || Files.readString(log).contains("coordinator of fleet"));
            assertThat(holder.isAlive()).as("holding coordinator running").isTrue();
            long versions = storedVersions(store);

            java.io.StringWriter coordinatorErr = new java.io.StringWriter();
            picocli.CommandLine second = CoordinatorMain.commandLine();
            second.setErr(new java.io.PrintWriter(coordinatorErr));
            int coordinatorExit = second.execute("--store", store.toString(), "--broker-port", "0", "--http-port", "0",
                    "--sparql-port", "0");
            java.io.StringWriter registryErr = new java.io.StringWriter();
            picocli.CommandLine query = io.tinyfed.registry.RegistryCommand.commandLine();
            query.setErr(new java.io.PrintWriter(registryErr));
            int registryExit = query.execute("query", "--dir", store.resolve("registry").toString(), "--resource",
                    "inventory.rq");

            assertThat(coordinatorExit).isEqualTo(1);
            assertThat(coordinatorErr.toString().strip()).isEqualTo("tinyfed coordinator: store " + store
                    + " is in use by another coordinator (process " + holder.pid() + "); stop it, or use another store "
                    + "directory");
            assertThat(registryExit).isEqualTo(1);
            assertThat(registryErr.toString().lines()).hasSize(1).first().asString()
                    .startsWith("tinyfed registry: registry " + store.resolve("registry") + " is in use by process "
                            + holder.pid()).contains("--endpoint http://127.0.0.1:3030/tinyfed");
            assertThat(holder.isAlive()).as("the holder is untouched").isTrue();
            assertThat(storedVersions(store)).isEqualTo(versions);
        } finally {
            holder.destroy();
            holder.waitFor(20, TimeUnit.SECONDS);
        }
    }
}
