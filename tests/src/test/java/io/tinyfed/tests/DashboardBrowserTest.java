package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.api.HttpApi;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.DeviceState;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.TrustedKeys;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.protocol.mqtt.Transport;
import io.tinyfed.simulators.SimulatedFleet;
import io.tinyfed.simulators.tasks.SineFamily;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.WebElement;

/**
 * The coordinator's dashboard in a real headless Chromium, against a coordinator with four real agents and one
 * hand-written device over the embedded MQTT broker: the fleet table lists them, a run started from the page (with the
 * API token) moves the round counter and the loss chart, the hand-written device's NaN update shows under its reason
 * and on its device page, a query typed in the SPARQL console answers the registry's rows, a rollout shows its waves,
 * devices and the actions its phase allows, and when the coordinator
 * restarts the page says so and then carries on by itself. Every server takes a free port; the restart finds its own
 * ports again. Each test leaves a screenshot in {@code target/dashboard/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {
    private static final String FLEET = "dashboard";
    private static final int AGENTS = 4;
    private static final String HOSTILE = "dev-nan";

    private Path dir;
    private final RawDevices raw = new RawDevices();
    private final Topics topics = Topics.of(FLEET);
    private final Model init = Model.initialize(SineFamily.ARCHITECTURE, 15);
    private SimulatedFleet agents;
    private Coordinator coordinator;
    private HttpApi api;
    private Transport hostile;
    private Browser browser;
    private String url;

    private Coordinator.Builder builder() {
        // quorum 1.0 with the hand-written device selected: a round stays open until its deadline, long enough for the
        // test to answer its task with a NaN update that is then refused for what it is, not for being late
        return Coordinator.builder().fleet(FLEET).store(dir.resolve("store")).initialModel(init)
                .rounds(new RoundEngine.Settings("sine", 16, 0.02f, 10, Duration.ofSeconds(3), 1.0, 1, 1e3, 15))
                .strategy(new ReptileStrategy(1.0, true, 1000, Selection.upTo(AGENTS + 1))).stragglerRest(0)
                .metaEvaluation(SineFamily.evaluator(SineFamily.tasks(8, 16), SineFamily.STANDARD, 16), 1);
    }

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        coordinator = builder().start();
        api = HttpApi.start(coordinator, "127.0.0.1", 0);
        url = api.url() + "/dashboard/";
        agents = new SimulatedFleet(FLEET, AGENTS, 15);
        agents.start(coordinator.brokerUri(), coordinator.trustFile());
        hostile = raw.connect(coordinator.brokerUri(), topics, HOSTILE);
        assertThat(coordinator.awaitEligible(AGENTS + 1, Duration.ofSeconds(60))).as("every device eligible").isTrue();
        browser = Browser.open();
    }

    @AfterAll
    void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (hostile != null) {
            hostile.close();
        }
        if (agents != null) {
            agents.close();
        }
        if (api != null) {
            api.close();
        }
        if (coordinator != null) {
            coordinator.close();
        }
    }

    @AfterEach
    void screenshot(TestInfo test) {
        if (browser != null) {
            browser.screenshot(test.getTestMethod().orElseThrow().getName());
        }
    }

    @Test
    @Order(1)
    void theFleetTableListsEveryAgentAndTheHandWrittenDevice_online() {
        browser.get(url);
        browser.until("the fleet table lists the five devices", d -> browser.column("fleet-table", 0).size() == AGENTS + 1);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < AGENTS; i++) {
            expected.add(SimulatedFleet.deviceId(i));
        }
        expected.add(HOSTILE);
        assertThat(browser.column("fleet-table", 0)).containsExactlyElementsOf(expected.stream().sorted().toList());
        assertThat(browser.column("fleet-table", 1)).containsOnly("online");
        assertThat(browser.text("fleet-summary")).startsWith("5 devices known, 5 online");
        assertThat(browser.text("connection")).isEqualTo("live");

        browser.find("fleet-filter").sendKeys("nan");
        browser.until("the filter keeps one device", d -> browser.column("fleet-table", 0).equals(List.of(HOSTILE)));
        browser.find("fleet-filter").clear();
        browser.find("fleet-filter").sendKeys(" "); // clear() fires no input event
        browser.until("the filter is off again", d -> browser.column("fleet-table", 0).size() == AGENTS + 1);
    }

    @Test
    @Order(2)
    void aRunStartedFromThePage_movesTheRoundCounterAndTheLossChart_andARefusedNanUpdateShowsUnderItsReason()
            throws Exception {
        browser.get(url + "#training");
        browser.until("the training page shows its state", d -> browser.text("run-state").equals("stopped"));

        browser.find("run-rounds").clear();
        browser.find("run-rounds").sendKeys("6");
        browser.find("run-start").click();
        browser.until("starting without the token is refused", d -> browser.text("run-message").startsWith("401"));
        assertThat(coordinator.running()).isFalse();

        browser.find("token").sendKeys(Files.readString(HttpApi.tokenFile(coordinator)).strip());
        browser.find("run-start").click();
        browser.until("the run is running", d -> browser.text("run-state").startsWith("running"));

        // the hand-written device answers its first task with a NaN in its delta
        String taskTopic = topics.device(HOSTILE, Topics.DeviceTopic.TASK);
        await().atMost(Duration.ofSeconds(30)).until(() -> !raw.on(taskTopic).isEmpty());
        TrainTask task = WireCodec.decodeTask(raw.on(taskTopic).get(0), HOSTILE,
                new SnapshotVerifier(TrustedKeys.read(coordinator.trustFile())));
        float[] nan = new float[init.parameterCount()];
        nan[7] = Float.NaN;
        hostile.publish(topics.device(HOSTILE, Topics.DeviceTopic.UPDATE), WireCodec.encode(new ModelUpdate(task.round(),
                HOSTILE, "sine", task.modelVersion(), nan, 4, 1f, 0.5f), NumberFormat.F32, 0), false);
        browser.until("the refusal shows under NON_FINITE", d -> !browser.all("#refusals-table tr[data-reason=NON_FINITE]")
                .isEmpty());
        assertThat(browser.column("refusals-table", 1).get(browser.column("refusals-table", 0).indexOf("NON_FINITE"))).isEqualTo("1");
        // it says it is offline, so the rounds after this one close as soon as the four agents answer
        hostile.publish(topics.device(HOSTILE, Topics.DeviceTopic.STATE), WireCodec.encode(new DeviceState(HOSTILE, false)),
                true);

        browser.until("an open round shows its quorum", d -> browser.text("run-open").contains("updates accepted"));
        assertThat(browser.text("run-aggregation")).contains("16 inner steps").contains("quorum 100%");
        int roundBefore = round();
        int pointsBefore = browser.all("#loss-chart circle").size();
        browser.until("the round counter advances", d -> round() >= roundBefore + 2);
        browser.until("the loss chart gains points", d -> browser.all("#loss-chart circle").size() >= pointsBefore + 2);
        browser.until("the run ends", d -> browser.text("run-state").startsWith("finished"));
        assertThat(round()).isEqualTo(6);
        // the last round's meta-evaluation lands after the round closes: the chart follows it when it does
        await().atMost(Duration.ofSeconds(30)).until(() -> coordinator.evaluations().size() == 6);
        browser.until("the loss chart has every evaluation", d -> browser.all("#loss-chart circle").size() == 6);
        browser.until("a bar per round", d -> browser.all("#updates-chart rect.bar").size() == 6);
        browser.until("the newest version", d -> browser.text("run-version")
                .equals("v" + coordinator.engine().currentVersion().version()));
        browser.screenshot("training");

        browser.get(url + "#device/" + HOSTILE);
        browser.until("the device page shows its refusal", d -> browser.text("device-facts").contains("NON_FINITE"));
        assertThat(browser.text("device-facts")).contains("Updates refused\n1");
        assertThat(browser.column("device-rounds", 3)).contains("refused");

        browser.get(url + "#device/" + SimulatedFleet.deviceId(0));
        browser.until("an agent's page lists its accepted rounds", d -> browser.column("device-rounds", 3).size() == 6);
        assertThat(browser.column("device-rounds", 3)).containsOnly("accepted");
        browser.until("its reports make a chart", d -> !browser.all("#device-chart circle").isEmpty());
    }

    private int round() {
        String text = browser.text("run-round");
        return Integer.parseInt(text.split(" ")[0]);
    }

    @Test
    @Order(3)
    void aQueryTypedInTheSparqlConsole_answersTheRegistrysRows() throws Exception {
        assertThat(coordinator.flushRegistry(Duration.ofSeconds(30))).isTrue();
        browser.get(url + "#registry");
        browser.until("the shipped queries are offered", d -> browser.all("#sparql-example option").size() > 1);
        WebElement text = browser.find("sparql-text");
        text.clear();
        text.sendKeys("PREFIX tf: <https://tinyfed.io/ns#>\n"
                + "SELECT ?id ?ram WHERE { ?d a tf:Device ; tf:deviceId ?id ; tf:ramBytes ?ram } ORDER BY ?id");
        browser.find("sparql-run").click();
        browser.until("the query answers", d -> browser.text("sparql-message").contains("rows"));
        assertThat(browser.all("#sparql-results th").stream().map(WebElement::getText)).containsExactly("id", "ram");
        List<String> ids = browser.column("sparql-results", 0);
        assertThat(ids).hasSize(AGENTS + 1).contains(HOSTILE, SimulatedFleet.deviceId(0));
        assertThat(browser.column("sparql-results", 1).get(ids.indexOf(HOSTILE))).isEqualTo(String.valueOf(1 << 20));
        assertThat(browser.find("sparql-csv").isDisplayed()).isTrue();

        text.clear();
        text.sendKeys("SELECT nonsense");
        browser.find("sparql-run").click();
        browser.until("a query that does not parse gets its error", d -> browser.text("sparql-message").startsWith("400"));
        assertThat(browser.all("#sparql-results tbody tr")).hasSize(AGENTS + 1); // the last answer stays

        browser.find("match-subject").sendKeys("1");
        browser.find("match-form").submit();
        browser.until("matchmaking answers for version 1", d -> browser.text("match-message").endsWith("matches"));
        assertThat(browser.column("match-results", 0)).anyMatch(s -> s.endsWith("/" + SimulatedFleet.deviceId(0)));
    }

    @Test
    @Order(4)
    void aRolloutShowsItsWavesDevicesAndTheActionsItsPhaseAllows() throws Exception {
        java.net.http.HttpResponse<String> created = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(URI.create(api.url() + "/api/rollouts"))
                        .header("Content-Type", "application/json")
                        .header("Authorization", "Bearer " + Files.readString(HttpApi.tokenFile(coordinator)).strip())
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"id\": \"dash-1\", \"devices\": [\"dev-00\", "
                                + "\"dev-01\", \"dev-02\", \"dev-03\"], \"waves\": [0.5, 1.0], \"waveTimeout\": \"30s\"}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isBetween(200, 202);
        browser.get(url + "#rollouts");
        browser.until("the rollout succeeds", d -> browser.text("rollouts").contains("dash-1: sine v7 - SUCCEEDED"));
        assertThat(browser.all("[data-rollout=dash-1] details")).hasSize(2);
        assertThat(browser.all("[data-rollout=dash-1] tr[data-device]")).hasSize(AGENTS);
        assertThat(browser.text("rollouts")).contains("Devices: SERVING 4");
        assertThat(browser.find("rollouts").getText()).contains("passed: installed");
        assertThat(browser.all("[data-rollout=dash-1] button[data-action=pause]").get(0).isEnabled()).isFalse();
        assertThat(browser.all("[data-rollout=dash-1] button[data-action=rollback]").get(0).isEnabled()).isTrue();
    }

    @Test
    @Order(5)
    void whenTheCoordinatorRestarts_thePageSaysSo_andCarriesOnByItself() throws Exception {
        browser.get(url);
        browser.until("live", d -> browser.text("connection").equals("live"));
        int httpPort = URI.create(api.url()).getPort();
        int brokerPort = URI.create(coordinator.brokerUri()).getPort();
        api.close();
        coordinator.close();
        browser.until("the page says the coordinator is gone", d -> browser.text("connection").contains("unreachable"));
        browser.screenshot("coordinator-gone");
        browser.find("fleet-filter").sendKeys("dev-0"); // the page still answers its user
        browser.until("the filter works offline", d -> browser.column("fleet-table", 0).size() == AGENTS);

        coordinator = builder().brokerPort(brokerPort).start();
        api = HttpApi.start(coordinator, "127.0.0.1", httpPort);
        browser.until("the page is live again", d -> browser.text("connection").equals("live"));
        // agents come back one by one as their reconnect back-off allows; the page follows the new coordinator's count
        await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.engine().onlineCount() > 0);
        browser.until("the fleet comes back from the new coordinator", d -> browser.text("fleet-summary")
                .startsWith(coordinator.engine().knownCount() + " devices known, " + coordinator.engine().onlineCount()
                        + " online"));
        browser.get(url + "#models");
        browser.until("the stored versions are listed after the restart",
                d -> browser.all("#versions-table tbody tr").size() == 7);
        assertThat(browser.all("#versions-table a[href$='/snapshot']")).hasSize(7);
        assertThat(browser.all("#versions-table a[href$='/c']")).hasSize(7);
        assertThat(browser.all("#versions-table a[href$='/c?train=true']")).hasSize(7);
    }
}
