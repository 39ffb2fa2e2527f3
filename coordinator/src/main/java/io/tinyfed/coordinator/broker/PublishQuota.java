package io.tinyfed.coordinator.broker;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Per-client publish quotas of the embedded broker: a token bucket per client (a burst of
 * {@code burst} messages, refilled at {@code perSecond}). A publish beyond the quota is refused
 * (the client gets PUBACK "quota exceeded", the message reaches nobody); a client refused
 * {@code disconnectAfter} times without its bucket filling up again in between is an offender to
 * disconnect. An honest device publishes a hello and a state when it connects, one update per
 * round and metrics every few seconds, far below the default quota.
 */
public final class PublishQuota {
    /** 200 messages at once, 20 per second sustained, disconnect after 1,000 refusals. */
    public static final PublishQuota.Limits DEFAULT = new Limits(200, 20, 1_000);

    /** The numbers of a quota. */
    public record Limits(int burst, double perSecond, int disconnectAfter) {
        public Limits {
            if (burst < 1 || !(perSecond > 0) || disconnectAfter < 1) {
                throw new IllegalArgumentException("publish quota: burst, rate and disconnect threshold must be positive");
            }
        }
    }

    /** What the quota says about one publish. */
    public enum Verdict { ALLOW, REFUSE, DISCONNECT }

    private final Limits limits;
    private final LongSupplier nanoClock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    public PublishQuota(Limits limits, LongSupplier nanoClock) {
        this.limits = limits;
        this.nanoClock = nanoClock;
    }

    private static final class Bucket {
        double tokens;
        long refilledAt;
        int refusals;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.refilledAt = now;
        }
    }

    /** Takes one message from {@code clientId}'s quota. */
    public Verdict take(String clientId) {
        long now = nanoClock.getAsLong();
        Bucket b = buckets.computeIfAbsent(clientId, id -> new Bucket(limits.burst(), now));
        synchronized (b) {
            b.tokens = Math.min(limits.burst(), b.tokens + (now - b.refilledAt) * limits.perSecond() / 1e9);
            b.refilledAt = now;
            if (b.tokens >= limits.burst()) {
                b.refusals = 0; // quiet long enough: earlier refusals are forgiven
            }
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return Verdict.ALLOW;
            }
            b.refusals++;
            return b.refusals >= limits.disconnectAfter() ? Verdict.DISCONNECT : Verdict.REFUSE;
        }
    }

    /**
     * Forgets a client that disconnected, unless it was refused since its bucket was last full: an
     * offender does not get a fresh burst by reconnecting.
     */
    public void forget(String clientId) {
        buckets.computeIfPresent(clientId, (id, b) -> {
            synchronized (b) {
                return b.refusals == 0 ? null : b;
            }
        });
    }
}
