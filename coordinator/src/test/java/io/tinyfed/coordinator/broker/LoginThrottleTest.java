package io.tinyfed.coordinator.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    private final AtomicLong now = new AtomicLong();
    private final LoginThrottle throttle = new LoginThrottle(3, 60_000_000_000L, now::get);

    @Test
    void repeatedFailuresLockTheKeyUntilTheWindowEnds() {
        for (int i = 0; i < 3; i++) {
            assertThat(throttle.lockedForSeconds("dev-1")).isZero();
            throttle.failed("dev-1");
        }
        assertThat(throttle.lockedForSeconds("dev-1")).isEqualTo(60);
        assertThat(throttle.lockedForSeconds("dev-2")).as("other keys are not affected").isZero();
        now.addAndGet(30_000_000_000L);
        assertThat(throttle.lockedForSeconds("dev-1")).isEqualTo(30);
        now.addAndGet(30_000_000_000L);
        assertThat(throttle.lockedForSeconds("dev-1")).isZero();
    }

    @Test
    void aSuccessClearsTheFailures() {
        throttle.failed("dev-1");
        throttle.failed("dev-1");
        throttle.succeeded("dev-1");
        throttle.failed("dev-1");
        assertThat(throttle.lockedForSeconds("dev-1")).isZero();
    }
}
