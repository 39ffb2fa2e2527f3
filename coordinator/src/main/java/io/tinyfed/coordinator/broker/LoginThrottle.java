package io.tinyfed.coordinator.broker;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Lock-out after repeated failed logins, per key (a device id, a source address): after
 * {@code maxFailures} failures within {@code window}, further attempts are refused for
 * {@code window} without checking a password, so guessing costs the attacker time and the broker
 * no PBKDF2 work. A success clears the key's failures.
 */
public final class LoginThrottle {
    /** 5 failures of one device id within a minute lock that id for the rest of the minute. */
    public static LoginThrottle perDevice(LongSupplier nanoClock) {
        return new LoginThrottle(5, 60_000_000_000L, nanoClock);
    }

    /**
     * 100 failures from one address within a minute lock password logins from it for the rest of the
     * minute (high, because the devices behind one NAT gateway share an address; certificate logins
     * are not affected).
     */
    public static LoginThrottle perAddress(LongSupplier nanoClock) {
        return new LoginThrottle(100, 60_000_000_000L, nanoClock);
    }

    /** Keys remembered at most; beyond that the oldest windows are dropped (a flood of random ids). */
    private static final int MAX_KEYS = 100_000;
    private final int maxFailures;
    private final long windowNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Window> failures = new ConcurrentHashMap<>();

    private static final class Window {
        final long started;
        int count;

        Window(long started) {
            this.started = started;
        }
    }

    public LoginThrottle(int maxFailures, long windowNanos, LongSupplier nanoClock) {
        this.maxFailures = maxFailures;
        this.windowNanos = windowNanos;
        this.nanoClock = nanoClock;
    }

    /** Seconds until {@code key} may try again, or 0 when it may now. */
    public long lockedForSeconds(String key) {
        Window w = failures.get(key);
        if (w == null) {
            return 0;
        }
        long now = nanoClock.getAsLong();
        synchronized (w) {
            if (now - w.started >= windowNanos) {
                failures.remove(key, w);
                return 0;
            }
            return w.count >= maxFailures ? Math.max(1, (w.started + windowNanos - now) / 1_000_000_000L) : 0;
        }
    }

    public void failed(String key) {
        long now = nanoClock.getAsLong();
        if (failures.size() >= MAX_KEYS) {
            failures.entrySet().removeIf(e -> now - e.getValue().started >= windowNanos);
        }
        Window w = failures.compute(key, (k, old) -> old == null || now - old.started >= windowNanos ? new Window(now) : old);
        synchronized (w) {
            w.count++;
        }
    }

    public void succeeded(String key) {
        failures.remove(key);
    }
}
