package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.api.HttpApi;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.simulators.tasks.SineFamily;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard with 10,000 registered devices in a real headless Chromium: the fleet page shows the first 100 of
 * them, pages, sorts and filters all 10,000 in the browser, and says how many are online. The time from navigation to
 * the first painted fleet is recorded in {@code target/dashboard/first-render.json} and printed (it is not asserted:
 * it depends on the machine).
 */
class DashboardFleetScaleTest {
    private static final int DEVICES = 10_000;

    @Test
    void tenThousandDevices_arePagedSortedAndFilteredInTheBrowser(@TempDir Path dir) throws Exception {
        try (Coordinator c = Coordinator.builder().fleet("scale").store(dir).withoutRegistry()
                .initialModel(Model.initialize(SineFamily.ARCHITECTURE, 1))
                .rounds(new RoundEngine.Settings("sine", 4, 0.02f, 4, Duration.ofSeconds(5), 1.0, 1, 1e3, 1))
                .strategy(new ReptileStrategy(1.0, false, 10, Selection.count(10))).start();
             HttpApi api = HttpApi.start(c, "127.0.0.1", 0);
             Browser browser = Browser.open()) {
            for (int i = 0; i < DEVICES; i++) {
                String id = String.format(Locale.ROOT, "node-%05d", i);
                boolean m4 = i % 2 == 0;
                c.engine().deviceHello(new DeviceHello(id, "scale", m4 ? 128 << 10 : 64L << 20, m4 ? 1 << 20 : 0,
                        m4 ? "cortex-m4" : "x86_64", m4 ? 80 : 1500, EnumSet.of(m4 ? NumberFormat.S16 : NumberFormat.F32),
                        List.of(), "t", "", i % 100 == 0 ? null : "gw-" + i / 100));
                c.engine().deviceState(id, i % 4 != 3);
            }
            List<Double> renders = new ArrayList<>();
            for (int load = 0; load < 3; load++) {
                browser.get(api.url() + "/dashboard/");
                browser.until("the first page of the fleet", d -> browser.text("fleet-page").equals("devices 1-100 of 10000"));
                Object mark = browser.until("the fleet's first paint is marked", d -> browser.script(
                        "const m = performance.getEntriesByName('tinyfed-fleet-rendered'); return m.length ? m[0].startTime : null"));
                renders.add(((Number) mark).doubleValue());
            }
            browser.screenshot("fleet-10000");
            assertThat(browser.text("fleet-summary")).startsWith("10000 devices known, 7500 online");
            assertThat(browser.all("#fleet-table tbody tr")).hasSize(100);
            assertThat(browser.all("#fleet-table tbody tr").get(0).getText()).startsWith("node-00000");

            browser.find("fleet-next").click();
            browser.until("the second page", d -> browser.text("fleet-page").equals("devices 101-200 of 10000"));
            assertThat(browser.all("#fleet-table tbody tr").get(0).getText()).startsWith("node-00100");

            browser.driver().findElement(org.openqa.selenium.By.cssSelector("#fleet-table th button[data-sort=id]")).click();
            browser.until("sorted by id, descending", d -> browser.all("#fleet-table tbody tr").get(0).getText()
                    .startsWith("node-09999"));
            browser.find("fleet-online").click();
            browser.until("online only", d -> browser.text("fleet-page").equals("devices 1-100 of 7500"));
            assertThat(browser.all("#fleet-table tbody tr").get(0).getText()).startsWith("node-09998");
            browser.find("fleet-filter").sendKeys("gw-42");
            long behind42 = java.util.stream.IntStream.range(4201, 4300).filter(i -> i % 4 != 3).count();
            browser.until("one gateway's online devices", d -> browser.text("fleet-page")
                    .equals("devices 1-" + behind42 + " of " + behind42));

            String json = String.format(Locale.ROOT, "{\"devices\": %d, \"first_render_ms\": [%.0f, %.0f, %.0f]}%n", DEVICES,
                    renders.get(0), renders.get(1), renders.get(2));
            Files.createDirectories(Browser.SCREENSHOTS);
            Files.writeString(Browser.SCREENSHOTS.resolve("first-render.json"), json, StandardCharsets.UTF_8);
            System.out.printf(Locale.ROOT, "dashboard first render with %,d devices: %.0f / %.0f / %.0f ms (3 loads)%n",
                    DEVICES, renders.get(0), renders.get(1), renders.get(2));
        }
    }
}
