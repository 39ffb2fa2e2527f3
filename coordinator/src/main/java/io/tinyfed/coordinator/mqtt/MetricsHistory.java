package io.tinyfed.coordinator.mqtt;

import io.tinyfed.protocol.DeviceMetrics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last {@link #KEPT} metrics reports of every device, with when each arrived, in memory: what a device's
 * page charts. Kept in primitive rings (about 1 KB per device), so a fleet of 10,000 devices costs about 10 MB.
 */
public final class MetricsHistory {
    /** Reports kept per device. */
    public static final int KEPT = 32;

    /** One report as it arrived. */
    public record Point(Instant received, long samplesSeen, double prequentialLoss, double prequentialAccuracy) {
    }

    private static final class Ring {
        final long[] at = new long[KEPT];
        final long[] samples = new long[KEPT];
        final double[] loss = new double[KEPT];
        final double[] accuracy = new double[KEPT];
        int next;
        int size;

        synchronized void add(long millis, DeviceMetrics m) {
            at[next] = millis;
            samples[next] = m.samplesSeen();
            loss[next] = m.prequentialLoss();
            accuracy[next] = m.prequentialAccuracy();
            next = (next + 1) % KEPT;
            size = Math.min(KEPT, size + 1);
        }

        synchronized List<Point> points() {
            List<Point> out = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                int j = Math.floorMod(next - size + i, KEPT);
                out.add(new Point(Instant.ofEpochMilli(at[j]), samples[j], loss[j], accuracy[j]));
            }
            return out;
        }
    }

    private final Map<String, Ring> rings = new ConcurrentHashMap<>();

    void add(Instant received, DeviceMetrics m) {
        rings.computeIfAbsent(m.deviceId(), k -> new Ring()).add(received.toEpochMilli(), m);
    }

    /** A device's reports, oldest first (empty when it sent none). */
    public List<Point> of(String deviceId) {
        Ring r = rings.get(deviceId);
        return r == null ? List.of() : r.points();
    }
}
