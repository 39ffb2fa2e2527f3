package io.tinyfed.coordinator.round;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that moves only when told: simulations and tests hand it to a {@link RoundEngine} so round deadlines pass
 * when they say, not with wall time. Not thread-safe: one driver moves it.
 */
public final class ManualClock extends Clock {
    private Instant now;

    public ManualClock(Instant start) {
        now = start;
    }

    public void set(Instant t) {
        now = t;
    }

    public void advance(Duration d) {
        now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }
}
