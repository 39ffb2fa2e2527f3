package io.tinyfed.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.coordinator.strategy.Failure;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.RejectReason;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UpdateValidatorTest {
    private final UpdateValidator validator = new UpdateValidator(10.0);
    private final UpdateValidator.OpenRound open = new UpdateValidator.OpenRound(5, "sine", 7, 3, Set.of("a", "b"),
            Set.of("b"));

    private Optional<RejectReason> check(String topicId, ModelUpdate u) {
        return validator.check(topicId, u, open, Set.of(1, 2, 3, 4)).map(Failure::reason);
    }

    private static ModelUpdate update(String id, int round, String model, long base, float... delta) {
        return new ModelUpdate(round, id, model, base, delta, 10, 1f, 0.5f);
    }

    @Test
    void acceptsAValidUpdate() {
        assertThat(check("a", update("a", 5, "sine", 7, 0.1f, 0.2f, 0.3f))).isEmpty();
    }

    @Test
    void reportsTheMostBasicReason() {
        assertThat(check("a", update("b", 5, "sine", 7, 0, 0, 0))).contains(RejectReason.IDENTITY_MISMATCH);
        assertThat(check("a", update("a", 4, "sine", 7, 0, 0, 0))).contains(RejectReason.LATE);
        assertThat(check("a", update("a", 9, "sine", 7, 0, 0, 0))).contains(RejectReason.WRONG_ROUND);
        assertThat(check("c", update("c", 5, "sine", 7, 0, 0, 0))).contains(RejectReason.UNKNOWN_DEVICE);
        assertThat(check("a", update("a", 5, "other", 7, 0, 0, 0))).contains(RejectReason.INVALID_FIELD);
        assertThat(check("a", update("a", 5, "sine", 6, 0, 0, 0))).contains(RejectReason.STALE_BASE_VERSION);
        assertThat(check("a", update("a", 5, "sine", 7, 0, 0))).contains(RejectReason.WRONG_SHAPE);
        assertThat(check("a", update("a", 5, "sine", 7, 0, Float.NaN, 0))).contains(RejectReason.NON_FINITE);
        assertThat(check("a", update("a", 5, "sine", 7, 8, 8, 0))).contains(RejectReason.NORM_BOUND);
        assertThat(check("b", update("b", 5, "sine", 7, 0, 0, 0))).contains(RejectReason.DUPLICATE);
    }

    @Test
    void refusesASampleCountAboveTheCapAndScalesTheCapForGateways() {
        UpdateValidator capped = new UpdateValidator(10.0, 100);
        float[] d = {0.1f, 0.2f, 0.3f};

        Optional<Failure> inflated = capped.check("a", new ModelUpdate(5, "a", "sine", 7, d, Integer.MAX_VALUE, 1f, 0.5f),
                open, Set.of());
        Optional<Failure> atCap = capped.check("a", new ModelUpdate(5, "a", "sine", 7, d, 100, 1f, 0.5f), open, Set.of());
        Optional<Failure> gateway = capped.check("a", new ModelUpdate(5, "a", "sine", 7, d, 300, 1f, 0.5f, 3), open,
                Set.of());

        assertThat(inflated).map(Failure::reason).contains(RejectReason.INVALID_FIELD);
        assertThat(inflated.orElseThrow().detail()).contains("2147483647").contains("at most 100");
        assertThat(atCap).isEmpty();
        assertThat(gateway).as("three contributors may claim 3 x 100").isEmpty();
    }

    @Test
    void aDevicesOwnUpdate_claimsAtMostTheSamplesItsHelloSaysItKeeps() {
        UpdateValidator capped = new UpdateValidator(10.0, 100);
        float[] d = {0.1f, 0.2f, 0.3f};

        Optional<Failure> beyond = capped.check("a", new ModelUpdate(5, "a", "sine", 7, d, 65, 1f, 0.5f), open, Set.of(), 64);
        Optional<Failure> within = capped.check("a", new ModelUpdate(5, "a", "sine", 7, d, 64, 1f, 0.5f), open, Set.of(), 64);
        Optional<Failure> undeclared = capped.check("a", new ModelUpdate(5, "a", "sine", 7, d, 100, 1f, 0.5f), open,
                Set.of(), 0);
        Optional<Failure> gateway = capped.check("a", new ModelUpdate(5, "a", "sine", 7, d, 300, 1f, 0.5f, 3), open,
                Set.of(), 64);

        assertThat(beyond).map(Failure::reason).contains(RejectReason.INVALID_FIELD);
        assertThat(beyond.orElseThrow().detail()).contains("claims 65 samples, at most 64, the samples its hello says it keeps");
        assertThat(within).isEmpty();
        assertThat(undeclared).as("only the coordinator's cap").isEmpty();
        assertThat(gateway).as("a gateway's sum keeps the per-device cap times its contributors").isEmpty();
    }

    @Test
    void withNoOpenRound_everyUpdateIsLateOrWrong() {
        assertThat(validator.check("a", update("a", 2, "sine", 7, 0, 0, 0), null, Set.of(2)).map(Failure::reason))
                .contains(RejectReason.LATE);
        assertThat(validator.check("a", update("a", 3, "sine", 7, 0, 0, 0), null, Set.of(2)).map(Failure::reason))
                .contains(RejectReason.WRONG_ROUND);
    }
}
