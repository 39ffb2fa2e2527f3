package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.DeployCommand;
import io.tinyfed.coordinator.api.HttpApi;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.protocol.DeploymentStatus;
import io.tinyfed.simulators.SimulatedFleet;
import io.tinyfed.simulators.tasks.SineFamily;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tinyfed deploy} against a running coordinator's HTTP API, with four agents over MQTT. */
class DeployCommandTest {
    private record Run(int exit, String out, String err) {
    }

    private static Run deploy(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new DeployCommand()));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void createWatchStatusAndRollback_throughTheApi_andMistakesAreOneLine(@TempDir Path dir) throws Exception {
        SimulatedFleet fleet = new SimulatedFleet("deploy-cli", 4, 41);
        try (Coordinator c = Coordinator.builder().fleet("deploy-cli").store(dir.resolve("store"))
                .initialModel(Model.initialize(SineFamily.ARCHITECTURE, 41)).credentials(fleet.credentials())
                .rounds(new RoundEngine.Settings("sine", 16, 0.02f, 10, Duration.ofSeconds(10), 1.0, 1, 1e3, 3))
                .strategy(new ReptileStrategy(1.0, true, 3, Selection.count(4))).start();
             HttpApi api = HttpApi.start(c, "127.0.0.1", 0);
             SimulatedFleet agents = fleet) {
            agents.start(c.brokerUri(), c.trustFile());
            await().atMost(Duration.ofSeconds(60)).until(() -> c.engine().eligible().size() == 4);
            c.startRun(3);
            assertThat(c.awaitRun(Duration.ofMinutes(2))).isTrue();
            String[] where = {"--api", api.url(), "--store", dir.resolve("store").toString()};

            Run created = deploy(concat(new String[] {"create", "--id", "r-cli", "--fleet", "--waves", "25%,100%",
                    "--wave-timeout", "60s", "--shadow-samples", "20", "--watch"}, where));

            assertThat(created.exit()).as(created.err()).isZero();
            assertThat(created.out()).contains("r-cli: sine v4 running, wave 1 of 2").contains("wave 1 passed")
                    .contains("r-cli: sine v4 succeeded, wave 2 of 2, serving 4");
            Run status = deploy(concat(new String[] {"status", "r-cli"}, where));
            assertThat(status.out().lines().filter(l -> l.contains(" SERVING ") && l.contains("v4"))).hasSize(4);
            assertThat(deploy(concat(new String[] {"status"}, where)).out()).startsWith("r-cli: sine v4 succeeded");

            Run back = deploy(concat(new String[] {"rollback", "r-cli"}, where));
            assertThat(back.exit()).isZero();
            assertThat(back.out()).contains("rolled_back").contains("rollback_sent 4");
            await().atMost(Duration.ofSeconds(30)).until(() -> agents.agents().stream().allMatch(a -> a.deployment()
                    .map(DeploymentStatus::state).orElse(null) == DeploymentStatus.State.ROLLED_BACK));

            Run missing = deploy(concat(new String[] {"pause", "nope"}, where));
            assertThat(missing.exit()).isEqualTo(1);
            assertThat(missing.err().lines()).singleElement().asString().isEqualTo("tinyfed deploy: no rollout nope");
            Run again = deploy(concat(new String[] {"pause", "r-cli"}, where));
            assertThat(again.err().lines()).singleElement().asString().contains("only a running rollout can be paused");
            Path wrong = Files.writeString(dir.resolve("wrong.token"), "not-the-token");
            Run refused = deploy("abort", "r-cli", "--api", api.url(), "--token-file", wrong.toString());
            assertThat(refused.err().lines()).singleElement().asString().contains("state changes need the API token");
            Run noTarget = deploy(concat(new String[] {"create", "--devices", "ghost"}, where));
            assertThat(noTarget.err().lines()).singleElement().asString()
                    .contains("no target device can run sine v4: [ghost (unknown device");
            Run badShare = deploy(concat(new String[] {"create", "--fleet", "--waves", "5,x"}, where));
            assertThat(badShare.exit()).isEqualTo(2);
            assertThat(badShare.err()).contains("--waves x: a share like 5% or 0.05");
        }
        Run down = deploy("status", "--api", "http://127.0.0.1:1");
        assertThat(down.err().lines()).singleElement().asString().contains("no coordinator answers at http://127.0.0.1:1");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
