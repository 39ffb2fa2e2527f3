package io.tinyfed.protocol;

import java.util.Arrays;

/** Top-k sparsification of update deltas (deterministic: ties go to the lower index). */
final class TopK {
    private TopK() {
    }

    /** Indices of the {@code k} largest |values|, in increasing index order. */
    static int[] largestMagnitudes(float[] values, int k) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Float.compare(Math.abs(values[b]), Math.abs(values[a]));
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] top = new int[k];
        for (int i = 0; i < k; i++) {
            top[i] = order[i];
        }
        Arrays.sort(top);
        return top;
    }
}
