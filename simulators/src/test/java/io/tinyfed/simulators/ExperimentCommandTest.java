package io.tinyfed.simulators;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The sine experiment's quick run writes every method at every step count, and meta-learning beats the baselines. */
class ExperimentCommandTest {
    @Test
    void sineQuick_writesTheSummaryAndMetaLearningWins(@TempDir Path dir) throws Exception {
        int exit = new CommandLine(new ExperimentCommand()).execute("sine", "--quick", "--out", dir.toString());

        assertThat(exit).isZero();
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("sine/summary.json").toFile()).get("metrics");
        Set<String> seen = new HashSet<>();
        double s16 = 0;
        double joint = 0;
        double random = 0;
        for (JsonNode m : metrics) {
            seen.add(m.get("method").asText() + "/" + m.get("steps").asInt());
            if (m.get("steps").asInt() == 32) {
                switch (m.get("method").asText()) {
                    case "federated-s16" -> s16 = m.get("value").asDouble();
                    case "joint" -> joint = m.get("value").asDouble();
                    case "random" -> random = m.get("value").asDouble();
                    default -> { }
                }
            }
        }
        assertThat(seen).hasSize(6 * 3).contains("federated-s16/1", "centralized-f32/8", "random/32");
        assertThat(s16).isLessThan(joint).isLessThan(random);
        assertThat(dir.resolve("sine/adapted-mse.png")).exists();
    }

    @Test
    void asyncQuick_asynchronousReptileReachesTheSynchronousLevelInLessThanHalfTheTime(@TempDir Path dir)
            throws Exception {
        int exit = new CommandLine(new ExperimentCommand()).execute("async", "--quick", "--out", dir.toString());

        assertThat(exit).isZero();
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("async/summary.json").toFile()).get("metrics");
        java.util.Map<String, Double> time = new java.util.HashMap<>();
        java.util.Map<String, Double> level = new java.util.HashMap<>();
        for (JsonNode m : metrics) {
            if (m.get("name").asText().equals("time_to_target_s") && m.get("value").isNumber()) {
                time.put(m.get("strategy").asText(), m.get("value").asDouble());
            }
            if (m.get("name").asText().equals("adapted_mse")) {
                level.put(m.get("strategy").asText(), m.get("value").asDouble());
            }
        }
        assertThat(level).containsKeys("sync", "sync-quorum0.7", "async");
        assertThat(time.get("async")).isLessThan(time.get("sync") / 2);
        assertThat(level.get("async")).isLessThan(level.get("sync") * 1.05);
        assertThat(dir.resolve("async/async.png")).exists();
    }

    @Test
    void faultsQuick_robustAggregationBeatsThePlainMeanUnderAttack_withAndWithoutGateways(@TempDir Path dir) throws Exception {
        // no dropout only: the grid's other two thirds run the same code (the full grid is in docs/results.md)
        ExperimentCommand experiment = new ExperimentCommand();
        int exit = new CommandLine(experiment).execute("faults", "--quick", "--dropout", "0", "--out", dir.toString());

        assertThat(exit).isZero();
        assertThat(experiment.workDirectory()).as("the runs' model stores are removed").doesNotExist();
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("faults/summary.json").toFile()).get("metrics");
        // 2 attack levels x 8 aggregations (4 with devices answering, 4 behind gateways), then the noise floor for both
        // topologies
        assertThat(metrics).hasSize(2 * 8 + 2);
        int floors = 0;
        for (JsonNode m : metrics) {
            if (m.get("name").asText().equals("noise_floor")) {
                assertThat(m.get("value").asDouble()).as("a clean run against a clean run").isBetween(0.5, 2.0);
                floors++;
                continue;
            }
            if (m.get("malicious").asDouble() > 0 && m.get("dropout").asDouble() == 0) {
                double v = m.get("value").isNumber() ? m.get("value").asDouble() : Double.POSITIVE_INFINITY;
                if (m.get("aggregation").asText().endsWith("mean")) {
                    assertThat(v).as("plain mean under attack").isGreaterThan(1.5);
                } else {
                    assertThat(v).as("robust under attack: %s", m.get("aggregation").asText()).isLessThan(1.2);
                }
            }
        }
        assertThat(floors).isEqualTo(2);
    }

    @Test
    void presenceQuick_metaLearningBeatsRandomAndJointAndReportsDrift(@TempDir Path dir) throws Exception {
        int exit = new CommandLine(new ExperimentCommand()).execute("presence", "--quick", "--out", dir.toString());

        assertThat(exit).isZero();
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("presence/summary.json").toFile()).get("metrics");
        java.util.Map<String, Double> at32 = new java.util.HashMap<>();
        Set<String> drift = new HashSet<>();
        for (JsonNode m : metrics) {
            if (m.get("name").asText().equals("adapted_accuracy") && m.get("steps").asInt() == 32) {
                at32.put(m.get("method").asText(), m.get("value").asDouble());
            } else if (m.get("name").asText().equals("prequential_accuracy")) {
                drift.add(m.get("method").asText() + "/" + m.get("phase").asText());
            }
        }
        assertThat(at32).containsOnlyKeys("federated-s16", "federated-f32", "federated-mixed", "centralized-f32", "joint",
                "random", "federated-s16-personal", "joint-refit", "random-refit");
        assertThat(at32.get("federated-s16")).isGreaterThan(at32.get("joint")).isGreaterThan(at32.get("random"));
        assertThat(drift).hasSize(3 * 3).contains("online-meta/after_drift", "static/before_drift");
        assertThat(dir.resolve("presence/drift.png")).exists();
        assertThat(dir.resolve("presence/adapted-accuracy.csv")).exists();
    }

    @Test
    void unknownExperiment_isRefusedWithTheList() {
        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cli = new CommandLine(new ExperimentCommand());
        cli.setErr(new java.io.PrintWriter(err));

        int exit = cli.execute("nope");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("unknown experiment 'nope'").contains("digits");
    }
}
