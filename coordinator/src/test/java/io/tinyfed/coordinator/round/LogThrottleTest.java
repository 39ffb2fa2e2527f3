package io.tinyfed.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogThrottleTest {
    @Test
    void theFirstTenThenEveryThousandthAreLogged_perDevice() {
        LogThrottle t = new LogThrottle();
        int logged = 0;
        for (int i = 0; i < 27_000; i++) {
            if (t.count("evil") > 0) {
                logged++;
            }
        }
        assertThat(logged).isEqualTo(10 + 27);
        assertThat(t.count("honest")).as("another device starts with its own count").isEqualTo(1);
        assertThat(LogThrottle.suffix(2000)).contains("2000");
        assertThat(LogThrottle.suffix(3)).isEmpty();
    }
}
