package io.tinyfed.coordinator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.protocol.RejectReason;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScreeningTest {
    private final Screening screening = new Screening(10, 4, 5);

    private static Reply reply(String id, int samples, float... delta) {
        return new Reply(id, delta, samples, 1f, 0.5f);
    }

    private static float[] filled(int n, float v) {
        float[] d = new float[n];
        Arrays.fill(d, v);
        return d;
    }

    @Test
    void screen_refusesAnUpdateMuchLongerThanTheRoundsMedian() {
        // honest norms 1.0, 1.2, 0.8; the constant attack [10.0] x 1761 has norm 419.6
        List<Reply> round = List.of(reply("a", 10, 1.0f, 0f), reply("b", 10, 0f, 1.2f), reply("c", 10, 0.8f, 0f),
                reply("evil", 10, 300f, 293.6f));

        Screening.Screened actual = screening.screen(round);

        assertThat(actual.kept()).extracting(Reply::deviceId).containsExactly("a", "b", "c");
        assertThat(actual.refused()).singleElement().satisfies(f -> {
            assertThat(f.deviceId()).isEqualTo("evil");
            assertThat(f.reason()).isEqualTo(RejectReason.NORM_BOUND);
            assertThat(f.detail()).contains("median");
        });
        assertThat(actual.medianNorm()).isEqualTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void screen_capsAWeightFarAboveTheRoundsMedian() {
        List<Reply> round = List.of(reply("a", 10, 1f), reply("b", 12, 1f), reply("c", 8, 1f),
                reply("heavy", Integer.MAX_VALUE, -1f));

        Screening.Screened actual = screening.screen(round);

        // median weight (10 + 12) / 2 = 11, cap 4 x 11 = 44
        assertThat(actual.kept()).extracting(Reply::sampleCount).containsExactly(10, 12, 8, 44);
        assertThat(actual.refused()).isEmpty();
    }

    @Test
    void screen_leavesRoundsTooSmallForAMedianAlone() {
        List<Reply> round = List.of(reply("a", 10, 1f), reply("b", Integer.MAX_VALUE, 1000f));

        Screening.Screened actual = screening.screen(round);

        assertThat(actual.kept()).isEqualTo(round);
        assertThat(actual.refused()).isEmpty();
    }

    @Test
    void screen_keepsAnHonestRoundUnchanged() {
        List<Reply> round = List.of(reply("a", 10, 1f, 2f), reply("b", 20, 3f, -1f), reply("c", 5, 0.5f, 0.1f),
                reply("d", 10, -2f, 2f));

        Screening.Screened actual = screening.screen(round);

        assertThat(actual.kept()).isEqualTo(round);
        assertThat(actual.refused()).isEmpty();
    }

    @Test
    void checkStep_refusesAVersionThatMovesThetaTooFar() {
        float[] theta = filled(4, 1f);

        assertThat(screening.checkStep(theta, filled(4, 3f), 1.0)).isEmpty();          // step 4.0 <= 5 x 1.0
        assertThat(screening.checkStep(theta, filled(4, 4f), 1.0)).get().asString()    // step 6.0 > 5 x 1.0
                .contains("6.000").contains("median update norm 1.000");
        assertThat(screening.checkStep(theta, filled(4, Float.POSITIVE_INFINITY), 1.0)).isPresent();
        assertThat(screening.checkStep(theta, filled(4, 100f), Double.NaN)).as("no median: no bound").isEmpty();
    }

    @Test
    void none_screensNothing() {
        List<Reply> round = List.of(reply("a", 10, 1f), reply("b", 10, 1f), reply("c", 10, 1f),
                reply("evil", Integer.MAX_VALUE, 1e6f));

        Screening.Screened actual = Screening.NONE.screen(round);

        assertThat(actual.kept()).isEqualTo(round);
        assertThat(Screening.NONE.checkStep(new float[] {0}, new float[] {1e30f}, 1.0)).isEmpty();
    }

    @Test
    void invalidSettings_areRefused() {
        assertThatThrownBy(() -> new Screening(1, 4, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Screening(10, 0.5, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Screening(10, 4, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
