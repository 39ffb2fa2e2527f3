package io.tinyfed.simulators.tasks;

import java.util.SplittableRandom;

/**
 * Positions in per-class pools drawn without replacement for one call of {@link TaskFamily.Task#samples}: a slot's
 * pool is reshuffled only once every position has been drawn, so an episode's support and test samples differ
 * whenever the pool is large enough.
 */
final class Draws {
    private final int[][] order;
    private final int[] used;

    Draws(int slots) {
        order = new int[slots][];
        used = new int[slots];
    }

    int next(int slot, int poolSize, SplittableRandom random) {
        if (order[slot] == null || used[slot] == poolSize) {
            order[slot] = new int[poolSize];
            for (int i = 0; i < poolSize; i++) {
                order[slot][i] = i;
            }
            used[slot] = 0;
        }
        int[] o = order[slot];
        int j = used[slot] + random.nextInt(poolSize - used[slot]);
        int pick = o[j];
        o[j] = o[used[slot]];
        o[used[slot]++] = pick;
        return pick;
    }
}
