package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tinyfed.coordinator.store.ModelStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian packages as an operator installs them: both are unpacked with {@code dpkg-deb -x} into
 * a temporary root; the coordinator runs from the full package with its options in an argument file
 * (as its systemd unit runs it), and the agent runs from the agent package, on the Java runtime
 * that package ships, with its settings in a config file (as {@code tinyfed-agent@} runs it). The
 * agent's update must make a new model version. Prints the package sizes and the agent's RSS.
 */
class PackageInstallTest {
    @RegisterExtension
    final ProcessLogs logs = new ProcessLogs();

    private static final Path DISTRIBUTION = Path.of(System.getProperty("tinyfed.distribution.dir", "../distribution"));

    private static Path onlyFile(Path dir, String glob) throws IOException {
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (var files = Files.newDirectoryStream(dir, glob)) {
                files.forEach(found::add);
            }
        }
        assertThat(found).as("%s in %s: build the packages first (./mvnw package)", glob, dir.toAbsolutePath())
                .hasSize(1);
        return found.get(0);
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    private static void run(Path log, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command)).isZero();
    }

    private static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    private static long treeBytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    @Test
    void installedPackages_runACoordinatorAndAnAgentThroughARound(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("dpkg-deb"), "dpkg-deb is not installed (Debian package dpkg): the packages cannot be unpacked");
        Path tinyfedDeb = onlyFile(DISTRIBUTION.resolve("tinyfed/target"), "tinyfed_*_all.deb");
        Path agentDeb = onlyFile(DISTRIBUTION.resolve("agent/target"), "tinyfed-agent_*.deb");
        Path root = Files.createDirectories(dir.resolve("root"));
        Path setupLog = logs.add(dir.resolve("setup.log"));
        run(setupLog, "dpkg-deb", "-x", tinyfedDeb.toString(), root.toString());
        run(setupLog, "dpkg-deb", "-x", agentDeb.toString(), root.toString());

        // What the packages hold: launchers, units pointing at them, config, and no test libraries.
        Path tinyfed = root.resolve("usr/lib/tinyfed/bin/tinyfed");
        Path agent = root.resolve("usr/lib/tinyfed-agent/bin/tinyfed-agent");
        Path agentJava = root.resolve("usr/lib/tinyfed-agent/runtime/bin/java");
        assertThat(tinyfed).isExecutable();
        assertThat(agent).isExecutable();
        assertThat(agentJava).isExecutable();
        assertThat(Files.readString(root.resolve("lib/systemd/system/tinyfed-coordinator.service")))
                .contains("ExecStart=/usr/lib/tinyfed/bin/tinyfed coordinator --config /etc/tinyfed/coordinator.yml");
        assertThat(Files.readString(root.resolve("lib/systemd/system/tinyfed-agent@.service")))
                .contains("ExecStart=/usr/lib/tinyfed-agent/bin/tinyfed-agent --config /etc/tinyfed/agent/%i.conf");
        assertThat(root.resolve("etc/tinyfed/coordinator.yml")).isRegularFile();
        assertThat(root.resolve("etc/tinyfed/agent/example.conf")).isRegularFile();
        assertThat(Files.readString(root.resolve("usr/share/bash-completion/completions/tinyfed")))
                .contains("complete -F _complete_tinyfed").contains("--expire-devices-after");
        for (Path lib : List.of(root.resolve("usr/lib/tinyfed/lib"), root.resolve("usr/lib/tinyfed-agent/lib"))) {
            try (Stream<Path> jars = Files.list(lib)) {
                assertThat(jars.map(j -> j.getFileName().toString()))
                        .noneMatch(j -> j.matches("(junit|assertj|awaitility|hamcrest|byte-buddy|opentest4j|mockito).*"));
            }
        }
        String release = Files.readString(root.resolve("usr/lib/tinyfed-agent/runtime/release"));
        assertThat(release).contains("java.base").doesNotContain("java.desktop").doesNotContain("java.sql");

        // The coordinator, from the full package, with a device login.
        Path store = dir.resolve("store");
        Path credentials = dir.resolve("devices.credentials");
        Path password = Files.writeString(dir.resolve("dev-pkg.password"), "pkg-secret-1\n");
        Path coordinatorLog = logs.add(dir.resolve("coordinator.log"));
        Map<String, String> env = Map.of("JAVA_HOME", System.getProperty("java.home"));
        ProcessBuilder credentialsCommand = new ProcessBuilder(tinyfed.toString(), "coordinator", "credentials",
                "--file", credentials.toString(), "--id", "dev-pkg").redirectInput(password.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(setupLog.toFile()));
        credentialsCommand.environment().putAll(env);
        Process added = credentialsCommand.start();
        assertThat(added.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(added.exitValue()).isZero();

        int brokerPort = CoordinatorKillRestartTest.freePort();
        // Configured as the unit configures it: a YAML file, with one setting from the environment.
        Path coordinatorConfig = Files.write(dir.resolve("coordinator.yml"), List.of("# as /etc/tinyfed/coordinator.yml",
                "tinyfed:", "  coordinator:", "    store: " + store, "    fleet: pkg", "    credentials: " + credentials,
                "    http-port: 0", "    sparql-port: 0", "    rounds: 1000", "    per-round: 1",
                "    round-timeout: 5s"));
        ProcessBuilder coordinatorCommand = new ProcessBuilder(tinyfed.toString(), "coordinator", "--config",
                coordinatorConfig.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(coordinatorLog.toFile()));
        coordinatorCommand.environment().put("TINYFED_COORDINATOR_BROKER_PORT", String.valueOf(brokerPort));
        coordinatorCommand.environment().putAll(env);
        coordinatorCommand.environment().put("JAVA_OPTS", "-Xmx384m");
        Process coordinator = coordinatorCommand.start();
        Process device = null;
        try {
            Path trust = store.resolve("keys/trust.keys");
            await().atMost(Duration.ofSeconds(120)).until(() -> !coordinator.isAlive()
                    || Files.readString(coordinatorLog).contains("coordinator of fleet pkg"));
            assertThat(coordinator.isAlive()).as("coordinator running").isTrue();
            long versionsBefore = new ModelStore(store).versions("sine").size();

            // The agent, from its own package and runtime, configured by a file as its systemd unit is.
            Path config = Files.write(dir.resolve("dev-pkg.conf"), List.of("# as /etc/tinyfed/agent/dev-pkg.conf",
                    "broker=tcp://127.0.0.1:" + brokerPort, "fleet=pkg", "trust=" + trust,
                    "password-file=" + password, "data=sine:1.5,0.2,3", "profile=gateway", "sample-ms=5"));
            Path agentLog = logs.add(dir.resolve("agent.log"));
            ProcessBuilder agentCommand = new ProcessBuilder(agent.toString(), "--config", config.toString(),
                    "--id", "dev-pkg", "--state", dir.resolve("agent-state").toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(agentLog.toFile()));
            agentCommand.environment().remove("JAVA_HOME");
            device = agentCommand.start();
            Process running = device;

            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> !running.isAlive()
                    || new ModelStore(store).versions("sine").stream().skip(versionsBefore)
                            .anyMatch(v -> v.contributors().contains("dev-pkg")));
            assertThat(running.isAlive()).as("agent running").isTrue();
            assertThat(running.info().command()).hasValue(agentJava.toString());

            long rss = rssKib(running.pid());
            System.out.printf("packages: %s %.1f MB, %s %.1f MB; agent image %.1f MB (runtime %.1f MB); "
                            + "agent RSS after a round %.1f MB%n",
                    tinyfedDeb.getFileName(), Files.size(tinyfedDeb) / 1e6, agentDeb.getFileName(),
                    Files.size(agentDeb) / 1e6, treeBytes(root.resolve("usr/lib/tinyfed-agent")) / 1e6,
                    treeBytes(root.resolve("usr/lib/tinyfed-agent/runtime")) / 1e6, rss / 1024.0);
        } finally {
            if (device != null) {
                device.destroy();
                device.waitFor(20, TimeUnit.SECONDS);
            }
            coordinator.destroy();
            if (!coordinator.waitFor(30, TimeUnit.SECONDS)) {
                coordinator.destroyForcibly();
            }
        }
    }
}
