package io.tinyfed.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Devices whose updates keep standing out get no more tasks. After each aggregated round, every accepted delta whose
 * L2 norm exceeds {@code ratio} times the round's median norm is a strike against its device; a device with
 * {@code strikes} strikes is quarantined for the rest of the run (until the coordinator restarts). Clipping bounds
 * what one bad update can do; quarantine stops a persistent attacker from doing it again. An honest device with an
 * unusual task can collect a strike too, which is why one strike is not enough. The coordinator keeps one for the
 * updates it receives, a pre-aggregating gateway one for the devices behind it. Thread-safe.
 */
public final class Quarantine {
    private final double ratio;
    private final int strikes;
    private final Map<String, Integer> counts = new HashMap<>();
    private final Set<String> quarantined = new TreeSet<>();

    public Quarantine(double ratio, int strikes) {
        if (!(ratio > 1) || !Double.isFinite(ratio) || strikes < 1) {
            throw new IllegalArgumentException("quarantine needs a norm ratio > 1 and 1+ strikes, got " + ratio + ", "
                    + strikes);
        }
        this.ratio = ratio;
        this.strikes = strikes;
    }

    /**
     * Counts the strikes of one round's accepted updates, device {@code deviceIds[k]}'s delta of L2 norm {@code norms[k]};
     * returns the devices quarantined by this round.
     */
    public synchronized List<String> record(List<String> deviceIds, double[] norms) {
        if (deviceIds.size() != norms.length) {
            throw new IllegalArgumentException(deviceIds.size() + " devices but " + norms.length + " norms");
        }
        List<String> now = new ArrayList<>();
        if (norms.length < 3) {
            return now; // a median of one or two says nothing about who stands out
        }
        double median = Statistics.median(norms);
        for (int k = 0; k < norms.length; k++) {
            String id = deviceIds.get(k);
            if (norms[k] > ratio * median && counts.merge(id, 1, Integer::sum) >= strikes && quarantined.add(id)) {
                now.add(id);
            }
        }
        return now;
    }

    public synchronized boolean isQuarantined(String deviceId) {
        return quarantined.contains(deviceId);
    }

    /** The quarantined devices, sorted. */
    public synchronized Set<String> quarantined() {
        return Set.copyOf(quarantined);
    }
}
