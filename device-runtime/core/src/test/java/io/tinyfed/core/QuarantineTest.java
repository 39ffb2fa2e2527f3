package io.tinyfed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class QuarantineTest {
    /** One round's accepted updates: device ids and their delta norms. */
    private record Round(List<String> ids, double[] norms) {
    }

    private static Round round(Object... idNorm) {
        List<String> ids = new java.util.ArrayList<>();
        double[] norms = new double[idNorm.length / 2];
        for (int k = 0; k < idNorm.length; k += 2) {
            ids.add((String) idNorm[k]);
            norms[k / 2] = ((Number) idNorm[k + 1]).doubleValue();
        }
        return new Round(ids, norms);
    }

    private static List<String> record(Quarantine q, Round r) {
        return q.record(r.ids(), r.norms());
    }

    @Test
    void record_quarantinesADeviceAfterItsStrikesAndNotBefore() {
        Quarantine q = new Quarantine(3.0, 2);
        // median norm 1: 'big' at 5 is over 3 x 1, 'edge' at 3 is not
        Round round = round("a", 1, "b", 0.9, "c", 1.1, "edge", 3, "big", 5);

        List<String> first = record(q, round);
        List<String> second = record(q, round);

        assertThat(first).isEmpty();
        assertThat(second).containsExactly("big");
        assertThat(q.isQuarantined("big")).isTrue();
        assertThat(q.isQuarantined("edge")).isFalse();
        assertThat(record(q, round)).as("quarantined once").isEmpty();
        assertThat(q.quarantined()).containsExactly("big");
    }

    @Test
    void record_ignoresRoundsTooSmallForAMedian() {
        Quarantine q = new Quarantine(2.0, 1);

        assertThat(record(q, round("a", 1, "big", 100))).isEmpty();
        assertThat(q.quarantined()).isEmpty();
    }

    @Test
    void record_refusesIdsAndNormsOfDifferentLengths() {
        assertThatThrownBy(() -> new Quarantine(3.0, 2).record(List.of("a"), new double[2]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void invalidSettings_areRefused() {
        assertThatThrownBy(() -> new Quarantine(1.0, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Quarantine(3.0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Quarantine(Double.NaN, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
