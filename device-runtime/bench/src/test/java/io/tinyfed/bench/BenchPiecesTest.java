package io.tinyfed.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.Sample;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchPiecesTest {

    @Test
    void uciDigits_loadsEveryImageWithScaledPixelsAndOneHotLabels() {
        List<Sample> digits = UciDigits.load();
        assertThat(digits).hasSize(1797);
        int[] perClass = new int[10];
        for (Sample s : digits) {
            assertThat(s.x()).hasSize(64);
            for (float p : s.x()) {
                assertThat(p).isBetween(0f, 1f);
            }
            int ones = 0;
            for (int c = 0; c < 10; c++) {
                if (s.y()[c] == 1f) {
                    perClass[c]++;
                    ones++;
                }
            }
            assertThat(ones).isEqualTo(1);
        }
        // the UCI test split has 174..183 images per digit
        for (int c = 0; c < 10; c++) {
            assertThat(perClass[c]).as("digit %d", c).isBetween(170, 185);
        }
    }

    @Test
    void metricJson_hasTheSharedShapeAndOmitsAbsentConfig() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        String json = mapper.writeValueAsString(Map.of("metrics",
                List.of(Metric.of("train_step_ns", "mlp-1-40-40-1", "S16", 812.5, "ns"))));
        assertThat(json).isEqualTo(
                "{\"metrics\":[{\"name\":\"train_step_ns\",\"model\":\"mlp-1-40-40-1\",\"format\":\"S16\",\"value\":812.5,\"unit\":\"ns\"}]}");
    }

    @Test
    void meanAndInterval_isTheNormal95PercentHalfWidth() {
        double[] r = AccuracyExperiments.meanAndInterval(new double[] {1, 2, 3, 4});
        assertThat(r[0]).isEqualTo(2.5);
        assertThat(r[1]).isCloseTo(1.96 * Math.sqrt(5.0 / 3) / 2, within(1e-12));
    }

    @Test
    void accuracyExperiments_areDeterministicForASeed() {
        double a = AccuracyExperiments.digitsOnlineAccuracy(NumberFormat.S16, 3);
        double b = AccuracyExperiments.digitsOnlineAccuracy(NumberFormat.S16, 3);
        assertThat(a).isEqualTo(b).isGreaterThan(0.5);
        double[] sine = AccuracyExperiments.sineAdaptedMse(AccuracyExperiments.metaTrainedSineInit(50, 2), 5, 2);
        double[] again = AccuracyExperiments.sineAdaptedMse(AccuracyExperiments.metaTrainedSineInit(50, 2), 5, 2);
        assertThat(sine).containsExactly(again);
    }
}
