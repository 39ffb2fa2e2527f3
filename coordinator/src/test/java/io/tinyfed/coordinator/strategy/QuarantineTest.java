package io.tinyfed.coordinator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class QuarantineTest {
    private static Reply reply(String id, float norm) {
        return new Reply(id, new float[] {norm, 0f}, 10, 0f, 0f);
    }

    @Test
    void record_quarantinesADeviceAfterItsStrikesAndNotBefore() {
        Quarantine q = new Quarantine(3.0, 2);
        // median norm 1: 'big' at 5 is over 3 x 1, 'edge' at 3 is not
        List<Reply> round = List.of(reply("a", 1f), reply("b", 0.9f), reply("c", 1.1f), reply("edge", 3f), reply("big", 5f));

        List<String> first = q.record(round);
        List<String> second = q.record(round);

        assertThat(first).isEmpty();
        assertThat(second).containsExactly("big");
        assertThat(q.isQuarantined("big")).isTrue();
        assertThat(q.isQuarantined("edge")).isFalse();
        assertThat(q.record(round)).as("quarantined once").isEmpty();
        assertThat(q.quarantined()).containsExactly("big");
    }

    @Test
    void record_ignoresRoundsTooSmallForAMedian() {
        Quarantine q = new Quarantine(2.0, 1);

        assertThat(q.record(List.of(reply("a", 1f), reply("big", 100f)))).isEmpty();
        assertThat(q.quarantined()).isEmpty();
    }

    @Test
    void invalidSettings_areRefused() {
        assertThatThrownBy(() -> new Quarantine(1.0, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Quarantine(3.0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Quarantine(Double.NaN, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
