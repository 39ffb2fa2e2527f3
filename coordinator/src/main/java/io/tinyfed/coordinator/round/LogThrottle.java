package io.tinyfed.coordinator.round;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps refusal logs readable under a flood: the first {@link #FIRST} events per key (a device) are
 * logged, then every {@link #EVERY}th, so one hostile device cannot fill the disk with log lines.
 * Every event is still counted (the refusal counters and {@code /prometheus}).
 */
public final class LogThrottle {
    public static final int FIRST = 10;
    public static final int EVERY = 1000;
    /** Keys remembered at most (random device ids cannot grow the map without bound). */
    private static final int MAX_KEYS = 100_000;
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

    /** Counts an event of {@code key}; its number when it should be logged, else 0. */
    public long count(String key) {
        if (counts.size() >= MAX_KEYS && !counts.containsKey(key)) {
            counts.clear();
        }
        long n = counts.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
        return n <= FIRST || n % EVERY == 0 ? n : 0;
    }

    /** What to append to a logged line: nothing for the first ones, the count once throttled. */
    public static String suffix(long n) {
        return n <= FIRST ? "" : " (refusal " + n + " from this device; only every " + EVERY + "th is logged)";
    }
}
