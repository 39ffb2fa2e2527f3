package io.tinyfed.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.core.Reptile;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.TrainTask;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GatewayAggregatorTest {
    private static final TrainTask TASK = new TrainTask(7, "sine", 3, 32, 0.02f, 10, Instant.EPOCH);

    @Test
    void update_isTheSampleWeightedMeanWithTheTotalWeight() {
        GatewayAggregator g = new GatewayAggregator(TASK, "gw-1", 2, Double.POSITIVE_INFINITY);
        g.add("a", new float[] {1f, 0f}, 10, 2f, 1f);
        g.add("b", new float[] {0f, 4f}, 30, 4f, 3f);

        ModelUpdate actual = g.update().orElseThrow();

        assertThat(actual.delta()).containsExactly(0.25f, 3f);
        assertThat(actual.sampleCount()).isEqualTo(40);
        assertThat(actual.contributors()).isEqualTo(2);
        assertThat(actual.lossBefore()).isEqualTo(3.5f);
        assertThat(actual.lossAfter()).isEqualTo(2.5f);
        assertThat(actual.deviceId()).isEqualTo("gw-1");
        assertThat(actual.round()).isEqualTo(7);
        assertThat(actual.baseVersion()).isEqualTo(3);
    }

    @Test
    void outerStepOverGateways_equalsOuterStepOverEveryDevice() {
        SplittableRandom r = new SplittableRandom(5);
        int params = 50;
        float[] theta = new float[params];
        List<float[]> all = new ArrayList<>();
        List<Double> allWeights = new ArrayList<>();
        List<float[]> perGateway = new ArrayList<>();
        List<Double> gatewayWeights = new ArrayList<>();
        for (int gw = 0; gw < 4; gw++) {
            GatewayAggregator g = new GatewayAggregator(TASK, "gw-" + gw, params, Double.POSITIVE_INFINITY);
            for (int d = 0; d < 25; d++) {
                float[] delta = new float[params];
                for (int i = 0; i < params; i++) {
                    delta[i] = (float) r.nextGaussian();
                }
                int n = 1 + r.nextInt(20);
                g.add("dev-" + gw + "-" + d, delta, n, 0f, 0f);
                all.add(delta);
                allWeights.add((double) n);
            }
            ModelUpdate u = g.update().orElseThrow();
            perGateway.add(u.delta());
            gatewayWeights.add((double) u.sampleCount());
        }

        float[] expected = Reptile.outerStep(theta, all, allWeights.stream().mapToDouble(Double::doubleValue).toArray(), 0.5);
        float[] actual = Reptile.outerStep(theta, perGateway, gatewayWeights.stream().mapToDouble(Double::doubleValue)
                .toArray(), 0.5);

        for (int i = 0; i < params; i++) {
            assertThat(actual[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-6f));
        }
    }

    @Test
    void add_refusesBadDeviceUpdatesAndCountsThemWithoutChangingTheSum() {
        GatewayAggregator g = new GatewayAggregator(TASK, "gw-1", 2, 10.0);
        g.add("a", new float[] {1f, 1f}, 10, 0f, 0f);

        assertThat(g.add("nan", new float[] {Float.NaN, 0f}, 10, 0f, 0f)).contains(RejectReason.NON_FINITE);
        assertThat(g.add("inf", new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, 10, 0f, 0f))
                .contains(RejectReason.NON_FINITE);
        assertThat(g.add("short", new float[] {1f}, 10, 0f, 0f)).contains(RejectReason.WRONG_SHAPE);
        assertThat(g.add("huge", new float[] {100f, 0f}, 10, 0f, 0f)).contains(RejectReason.NORM_BOUND);
        assertThat(g.add("zero", new float[] {1f, 0f}, 0, 0f, 0f)).contains(RejectReason.INVALID_FIELD);
        assertThat(g.add("a", new float[] {5f, 5f}, 10, 0f, 0f)).contains(RejectReason.DUPLICATE);

        assertThat(g.update().orElseThrow().delta()).containsExactly(1f, 1f);
        assertThat(g.contributors()).isEqualTo(1);
        assertThat(g.refused()).isEqualTo(Map.of(RejectReason.NON_FINITE, 2L, RejectReason.WRONG_SHAPE, 1L,
                RejectReason.NORM_BOUND, 1L, RejectReason.INVALID_FIELD, 1L, RejectReason.DUPLICATE, 1L));
    }

    @Test
    void update_isEmptyWhenNoDeviceContributed() {
        GatewayAggregator g = new GatewayAggregator(TASK, "gw-1", 2, Double.POSITIVE_INFINITY);
        g.add("nan", new float[] {Float.NaN, 0f}, 10, 0f, 0f);

        assertThat(g.update()).isEmpty();
    }

    @Test
    void robust_refusesADeviceClaimingMoreSamplesThanItMay() {
        GatewayAggregator g = new GatewayAggregator(TASK, "gw-1", 2, 10.0, new GatewayAggregator.Robust(0, 100));
        g.add("a", new float[] {1f, 0f}, 10, 0f, 0f);

        assertThat(g.add("liar", new float[] {0f, 1f}, 101, 0f, 0f)).contains(RejectReason.INVALID_FIELD);

        ModelUpdate u = g.update().orElseThrow();
        assertThat(u.delta()).containsExactly(1f, 0f);
        assertThat(u.sampleCount()).isEqualTo(10);
        assertThat(g.refused()).containsEntry(RejectReason.INVALID_FIELD, 1L);
    }

    @Test
    void robust_clipsAnAttackerBehindTheGatewayToTheClipNormOfItsNeighbours() {
        // nine honest devices (norm 1 each, along x) and one sign-flipped x5 (norm 5, along -x)
        GatewayAggregator plain = new GatewayAggregator(TASK, "gw-1", 2, 100.0);
        GatewayAggregator robust = new GatewayAggregator(TASK, "gw-1", 2, 100.0, new GatewayAggregator.Robust(2.0, 1000));
        for (GatewayAggregator g : List.of(plain, robust)) {
            for (int d = 0; d < 9; d++) {
                g.add("honest-" + d, new float[] {1f, 0f}, 10, 0f, 0f);
            }
            g.add("attacker", new float[] {-5f, 0f}, 10, 0f, 0f);
        }

        // plain: (9 - 5) / 10 = 0.4; clipped to 2 x median (1): (9 - 2) / 10 = 0.7
        assertThat(plain.update().orElseThrow().delta()[0]).isCloseTo(0.4f, org.assertj.core.data.Offset.offset(1e-6f));
        ModelUpdate u = robust.update().orElseThrow();
        assertThat(u.delta()[0]).isCloseTo(0.7f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(u.sampleCount()).isEqualTo(100);
        assertThat(u.contributors()).isEqualTo(10);
        assertThat(robust.clipped()).isEqualTo(1);
    }

    @Test
    void robust_leavesHonestDeltasWithinTheClipNormAsThePlainMean() {
        SplittableRandom r = new SplittableRandom(3);
        GatewayAggregator plain = new GatewayAggregator(TASK, "gw-1", 20, Double.POSITIVE_INFINITY);
        GatewayAggregator robust = new GatewayAggregator(TASK, "gw-1", 20, Double.POSITIVE_INFINITY,
                GatewayAggregator.Robust.DEFAULT);
        for (int d = 0; d < 15; d++) {
            float[] delta = new float[20];
            for (int i = 0; i < delta.length; i++) {
                delta[i] = (float) (r.nextDouble() - 0.5);
            }
            int n = 1 + r.nextInt(20);
            plain.add("dev-" + d, delta, n, 0f, 0f);
            robust.add("dev-" + d, delta, n, 0f, 0f);
        }

        float[] expected = plain.update().orElseThrow().delta();
        float[] actual = robust.update().orElseThrow().delta();

        assertThat(robust.clipped()).isZero();
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-6f));
        }
    }
}
