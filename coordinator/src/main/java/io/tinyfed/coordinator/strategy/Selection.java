package io.tinyfed.coordinator.strategy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded client selection: {@code clamp(round(fraction * eligible), min, max)} devices drawn without
 * replacement. The draw depends only on the seed, the round and the sorted eligible ids, so the
 * same seed picks the same devices.
 */
public record Selection(double fraction, int minDevices, int maxDevices) {
    public Selection {
        if (!(fraction > 0 && fraction <= 1) || minDevices < 1 || maxDevices < minDevices) {
            throw new IllegalArgumentException("need 0 < fraction <= 1 and 1 <= min <= max, got " + fraction + ", "
                    + minDevices + ", " + maxDevices);
        }
    }

    /** Selects exactly {@code count} devices; while fewer are eligible, none (the round waits for them). */
    public static Selection count(int count) {
        return new Selection(1.0, count, count);
    }

    /** Selects up to {@code count} devices: all that are eligible when there are fewer. */
    public static Selection upTo(int count) {
        return new Selection(1.0, 1, count);
    }

    /** How many devices a round asks when {@code eligible} are available; 0 if fewer than the minimum. */
    public int size(int eligible) {
        if (eligible < minDevices) {
            return 0;
        }
        long wanted = Math.round(fraction * eligible);
        return (int) Math.min(eligible, Math.max(minDevices, Math.min(maxDevices, wanted)));
    }

    public List<String> select(List<String> eligibleSorted, int round, long seed) {
        int n = size(eligibleSorted.size());
        List<String> pool = new ArrayList<>(eligibleSorted);
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + round);
        for (int i = 0; i < n; i++) {
            int j = i + random.nextInt(pool.size() - i);
            String t = pool.get(i);
            pool.set(i, pool.get(j));
            pool.set(j, t);
        }
        List<String> chosen = new ArrayList<>(pool.subList(0, n));
        chosen.sort(null);
        return chosen;
    }
}
