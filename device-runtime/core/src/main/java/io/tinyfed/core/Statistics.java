package io.tinyfed.core;

import java.util.Arrays;

/**
 * The two statistics robust aggregation is made of, in one place for the coordinator and for pre-aggregating
 * gateways: the L2 norm of a delta, and the median of a round's norms or weights.
 */
public final class Statistics {
    private Statistics() {
    }

    /** The L2 norm of {@code delta}, summed in double. */
    public static double l2Norm(float[] delta) {
        double s = 0;
        for (float v : delta) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    /** The median of {@code values} (the mean of the middle two for an even count; NaN for none); the array is kept. */
    public static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
