package io.tinyfed.simulators;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Which participants of a simulated fleet (devices, or gateways over MQTT) are away: at the start of each round an
 * online participant leaves with the fault plan's disconnect probability and comes back 1 to
 * {@code maxOfflineRounds} rounds later. Drawn from the seed and the round, in participant order, so a seed gives the
 * same comings and goings on every transport. The caller carries the changes out (state messages, connections).
 */
final class Connectivity {
    /** Participant {@code participant} (an index) leaves, or comes back. */
    record Change(int participant, boolean leaves) {
    }

    private final InProcessSimulation.Faults faults;
    private final long seed;
    private final Map<Integer, Integer> offlineUntil = new TreeMap<>();

    Connectivity(InProcessSimulation.Faults faults, long seed) {
        this.faults = faults;
        this.seed = seed;
    }

    /** The changes at the start of {@code round}, in participant order. */
    List<Change> step(int round, int participants) {
        List<Change> changes = new ArrayList<>();
        if (faults.disconnect() == 0 && offlineUntil.isEmpty()) {
            return changes;
        }
        SplittableRandom r = new SplittableRandom(seed * 41 + round);
        for (int p = 0; p < participants; p++) {
            Integer back = offlineUntil.get(p);
            if (back != null) {
                if (round >= back) {
                    offlineUntil.remove(p);
                    changes.add(new Change(p, false));
                }
            } else if (r.nextDouble() < faults.disconnect()) {
                offlineUntil.put(p, round + 1 + r.nextInt(faults.maxOfflineRounds()));
                changes.add(new Change(p, true));
            }
        }
        return changes;
    }

    /** The participants away right now. */
    Set<Integer> offline() {
        return Set.copyOf(offlineUntil.keySet());
    }
}
