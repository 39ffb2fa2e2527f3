package io.tinyfed.coordinator.strategy;

import io.tinyfed.core.Statistics;
import java.util.Arrays;
import java.util.List;

/**
 * How a strategy combines the devices' deltas, with the defences against faulty or malicious updates
 * that survive validation (finite, within the norm bound, but wrong): optional norm clipping, then the
 * sample-weighted mean, or a coordinate-wise trimmed mean or median. Pure functions, no framework.
 *
 * @param trim      for {@link Rule#TRIMMED_MEAN}: the fraction of values dropped at each end per
 *                  coordinate, in [0, 0.5)
 * @param clipNorm  clip each delta to this L2 norm first; 0: no clipping; negative: clip to |clipNorm| times
 *                  the median norm of the round's deltas (adapts to the round)
 */
public record RobustAggregation(Rule rule, double trim, double clipNorm) {
    /** The combining rule. */
    public enum Rule { MEAN, TRIMMED_MEAN, MEDIAN }

    /** The plain sample-weighted mean: what Reptile and FedAvg do without defences. */
    public static final RobustAggregation MEAN = new RobustAggregation(Rule.MEAN, 0, 0);

    public RobustAggregation {
        if (!(trim >= 0 && trim < 0.5)) {
            throw new IllegalArgumentException("trim must be in [0, 0.5), got " + trim);
        }
        if (!Double.isFinite(clipNorm)) {
            throw new IllegalArgumentException("clip norm must be finite");
        }
    }

    /**
     * From command-line names: {@code mean}, {@code trimmed-mean} (uses {@code trim}) or {@code median}.
     *
     * @throws IllegalArgumentException for another name
     */
    public static RobustAggregation of(String rule, double trim, double clipNorm) {
        Rule r = Rule.valueOf(rule.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        return new RobustAggregation(r, r == Rule.TRIMMED_MEAN ? trim : 0, clipNorm);
    }

    /** The combined delta of {@code deltas} (all of one length), weighted by {@code weights} for the mean. */
    public float[] combine(List<float[]> deltas, double[] weights) {
        if (deltas.isEmpty()) {
            throw new IllegalArgumentException("nothing to combine");
        }
        List<float[]> in = clipNorm == 0 ? deltas : clip(deltas, clipNorm > 0 ? clipNorm : -clipNorm * medianNorm(deltas));
        return switch (rule) {
            case MEAN -> weightedMean(in, weights);
            case TRIMMED_MEAN -> trimmedMean(in, trim);
            case MEDIAN -> median(in);
        };
    }

    /** Each delta scaled down to at most {@code maxNorm} (L2); shorter ones unchanged. */
    public static List<float[]> clip(List<float[]> deltas, double maxNorm) {
        return deltas.stream().map(d -> {
            double n = Statistics.l2Norm(d);
            if (n <= maxNorm || n == 0) {
                return d;
            }
            float[] c = d.clone();
            double s = maxNorm / n;
            for (int i = 0; i < c.length; i++) {
                c[i] = (float) (c[i] * s);
            }
            return c;
        }).toList();
    }

    static double medianNorm(List<float[]> deltas) {
        return Statistics.median(deltas.stream().mapToDouble(Statistics::l2Norm).toArray());
    }

    public static float[] weightedMean(List<float[]> deltas, double[] weights) {
        int p = deltas.get(0).length;
        double total = Arrays.stream(weights).sum();
        double[] acc = new double[p];
        for (int k = 0; k < deltas.size(); k++) {
            float[] d = deltas.get(k);
            double w = weights[k] / total;
            for (int i = 0; i < p; i++) {
                acc[i] += w * d[i];
            }
        }
        return toFloat(acc);
    }

    /** Per coordinate: sort, drop {@code floor(trim * n)} values at each end, average the rest. */
    public static float[] trimmedMean(List<float[]> deltas, double trim) {
        return centralMean(deltas, (int) Math.floor(trim * deltas.size()));
    }

    /**
     * Per coordinate: the median (mean of the middle two for an even count), i.e. the mean of what is left
     * after dropping {@code (n - 1) / 2} values at each end.
     */
    public static float[] median(List<float[]> deltas) {
        return centralMean(deltas, (deltas.size() - 1) / 2);
    }

    /** Per coordinate: sort, drop {@code drop} values at each end, average the rest. */
    private static float[] centralMean(List<float[]> deltas, int drop) {
        int n = deltas.size();
        int p = deltas.get(0).length;
        float[] column = new float[n];
        double[] out = new double[p];
        for (int i = 0; i < p; i++) {
            for (int k = 0; k < n; k++) {
                column[k] = deltas.get(k)[i];
            }
            Arrays.sort(column);
            double s = 0;
            for (int k = drop; k < n - drop; k++) {
                s += column[k];
            }
            out[i] = s / (n - 2 * drop);
        }
        return toFloat(out);
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
