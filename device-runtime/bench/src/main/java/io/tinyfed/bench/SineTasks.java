package io.tinyfed.bench;

import io.tinyfed.core.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The sine task family of Reptile (Nichol et al. 2018): amplitude in [0.1, 5], phase in [0, pi]
 * (MAML's range), x uniform in [-5, 5].
 */
public final class SineTasks {
    private SineTasks() {
    }

    public static List<Sample> samples(double amplitude, double phase, int n, SplittableRandom random) {
        List<Sample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float x = (float) (random.nextDouble() * 10 - 5);
            out.add(new Sample(new float[] {x}, new float[] {(float) (amplitude * Math.sin(x + phase))}));
        }
        return out;
    }

    /** One task's parameters, amplitude then phase. */
    public static double[] task(SplittableRandom random) {
        return new double[] {0.1 + random.nextDouble() * 4.9, random.nextDouble() * Math.PI};
    }
}
