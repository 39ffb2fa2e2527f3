package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.registry.Registry;
import io.tinyfed.registry.SparqlEndpoint;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The standalone registry's console ({@code tinyfed registry serve}'s {@code /console/}) in headless Chromium, on
 * published board and model descriptions: a shipped query and a typed one answer the endpoint's rows, and matchmaking
 * lists the one board that can run person detection and says why each other board cannot.
 */
class RegistryConsoleBrowserTest {
    private static final Path FIXTURES = Path.of("..", "semantic-registry", "src", "test", "resources", "fixtures");

    @Test
    void queriesAndMatchmakingAnswerInTheBrowser_onPublishedDescriptions(@TempDir Path dir) throws Exception {
        try (Registry registry = Registry.embedded(dir.resolve("registry"))) {
            assertThat(registry.importFile(FIXTURES.resolve("published-sensor-boards.ttl")).triples()).isPositive();
            assertThat(registry.importFile(FIXTURES.resolve("published-sensor-models.ttl")).triples()).isPositive();
            try (SparqlEndpoint endpoint = SparqlEndpoint.builder().registry(registry).port(0)
                    .adminSecretFile(dir.resolve("admin.secret")).start();
                 Browser browser = Browser.open()) {
                browser.get(endpoint.consoleUrl());
                browser.until("the shipped queries are offered", d -> browser.all("#sparql-example option").size() > 1);
                new Select(browser.find("sparql-example")).selectByValue("model-identities.rq");
                assertThat(browser.find("sparql-text").getAttribute("value")).contains("schema:identifier");

                WebElement text = browser.find("sparql-text");
                text.clear();
                text.sendKeys("PREFIX schema: <https://schema.org/>\nPREFIX s3n: <http://w3id.org/s3n/>\n"
                        + "SELECT ?name WHERE { ?b a s3n:SmartSensor ; schema:name ?name } ORDER BY ?name");
                browser.find("sparql-run").click();
                browser.until("the typed query answers", d -> browser.text("sparql-message").startsWith("4 rows"));
                assertThat(browser.column("sparql-results", 0)).containsExactly("IMU board", "camera board",
                        "mistyped board", "thermometer board");

                browser.find("match-subject").sendKeys("http://tinyml-schema.org/neuralnetwork/person-detection");
                browser.find("match-training").click(); // inference
                browser.find("match-form").submit();
                browser.until("matchmaking answers", d -> browser.text("match-message").equals("1 match"));
                assertThat(browser.column("match-results", 0)).containsExactly(
                        "http://tinyml-schema.org/tinyml-demo/board-camera", "http://tinyml-schema.org/tinyml-demo/board-imu",
                        "http://tinyml-schema.org/tinyml-demo/board-mistyped",
                        "http://tinyml-schema.org/tinyml-demo/board-thermometer");
                assertThat(browser.column("match-results", 5)).containsExactly("", "no sensor of image",
                        "no sensor of image", "no sensor of image");
                browser.screenshot("registry-console");
            }
        }
    }
}
