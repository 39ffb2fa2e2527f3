package io.tinyfed.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The registry benchmark runs on both backends and writes every figure it prints (tiny sizes: no timings checked). */
class RegistryBenchTest {
    private static final List<String> METRICS = List.of("register_devices_per_s", "register_device_single_per_s",
            "register_model_versions_per_s", "devices_for_model_ms_p50", "devices_for_model_ms_p95",
            "models_for_device_ms_p50", "models_for_device_ms_p95", "devices_for_model_after_write_ms_p50",
            "devices_for_model_after_write_ms_p95", "models_for_device_after_write_ms_p50",
            "models_for_device_after_write_ms_p95");

    @Test
    void embeddedAndFusekiProcess_bothReportEveryMetric(@TempDir Path dir) throws Exception {
        for (String backend : List.of("embedded", "fuseki")) {
            Path json = dir.resolve(backend + ".json");
            List<String> args = new ArrayList<>(List.of("--devices", "600", "--versions", "20", "--queries", "5",
                    "--json", json.toString()));
            if (backend.equals("fuseki")) {
                args.add("--fuseki");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream was = System.out;
            int exit;
            try {
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                exit = io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new RegistryBench()))
                        .execute(args.toArray(String[]::new));
            } finally {
                System.setOut(was);
            }
            String printed = out.toString(StandardCharsets.UTF_8);
            assertThat(exit).as(printed).isZero();
            assertThat(printed).contains(backend.equals("fuseki") ? "Apache Jena Fuseki" : "embedded TDB2");
            JsonNode metrics = new ObjectMapper().readTree(json.toFile()).get("metrics");
            List<String> names = new ArrayList<>();
            for (JsonNode m : metrics) {
                names.add(m.get("name").asText());
                assertThat(m.get("value").asDouble()).as(m.toString()).isPositive();
                assertThat(m.get("config").asText()).endsWith(backend);
            }
            assertThat(names).containsExactlyInAnyOrderElementsOf(METRICS);
        }
    }

    @Test
    void fusekiAndEndpoint_areOneOrTheOther() {
        CommandLine cmd = io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new RegistryBench()));
        java.io.StringWriter err = new java.io.StringWriter();
        cmd.setErr(new java.io.PrintWriter(err));
        assertThat(cmd.execute("--fuseki", "--endpoint", "http://127.0.0.1:1/x")).isEqualTo(2);
        assertThat(err.toString()).contains("--fuseki or --endpoint, not both");
    }
}
