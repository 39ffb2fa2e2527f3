package io.tinyfed.coordinator.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PublishQuotaTest {
    private final AtomicLong now = new AtomicLong();
    private final PublishQuota quota = new PublishQuota(new PublishQuota.Limits(10, 2, 5), now::get);

    @Test
    void aBurstIsAllowed_thenTheRate_thenRefusals_thenDisconnect() {
        for (int i = 0; i < 10; i++) {
            assertThat(quota.take("dev-1")).isEqualTo(PublishQuota.Verdict.ALLOW);
        }
        assertThat(quota.take("dev-1")).isEqualTo(PublishQuota.Verdict.REFUSE);
        now.addAndGet(500_000_000L); // half a second: one message at 2/s
        assertThat(quota.take("dev-1")).isEqualTo(PublishQuota.Verdict.ALLOW);
        for (int i = 2; i < 5; i++) {
            assertThat(quota.take("dev-1")).isEqualTo(PublishQuota.Verdict.REFUSE);
        }
        assertThat(quota.take("dev-1")).isEqualTo(PublishQuota.Verdict.DISCONNECT);
        assertThat(quota.take("dev-2")).as("each client has its own bucket").isEqualTo(PublishQuota.Verdict.ALLOW);
    }

    @Test
    void anOffenderDoesNotGetAFreshBurstByReconnecting_butAQuietClientIsForgiven() {
        for (int i = 0; i < 11; i++) {
            quota.take("dev-1");
        }
        quota.forget("dev-1");
        assertThat(quota.take("dev-1")).isEqualTo(PublishQuota.Verdict.REFUSE);
        now.addAndGet(5_000_000_000L); // bucket full again
        assertThat(quota.take("dev-1")).isEqualTo(PublishQuota.Verdict.ALLOW);
        quota.forget("dev-1");
        for (int i = 0; i < 10; i++) {
            assertThat(quota.take("dev-1")).isEqualTo(PublishQuota.Verdict.ALLOW);
        }
    }
}
