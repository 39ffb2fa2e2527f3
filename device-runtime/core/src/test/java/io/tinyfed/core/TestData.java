package io.tinyfed.core;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Small seeded tasks for engine tests. */
final class TestData {
    private TestData() {
    }

    static final Architecture SINE = Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1);

    /** {@code n} samples of {@code a sin(x + phase)}, x uniform in [-5, 5]. */
    static List<Sample> sine(double amplitude, double phase, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Sample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float x = (float) (r.nextDouble() * 10 - 5);
            out.add(new Sample(new float[] {x}, new float[] {(float) (amplitude * Math.sin(x + phase))}));
        }
        return out;
    }

    static List<float[]> inputs(List<Sample> samples) {
        List<float[]> xs = new ArrayList<>();
        for (Sample s : samples) {
            xs.add(s.x());
        }
        return xs;
    }

    static double mse(Network net, List<Sample> samples) {
        float[] out = new float[net.architecture().outputSize()];
        double sum = 0;
        for (Sample s : samples) {
            net.infer(s.x(), out);
            for (int i = 0; i < out.length; i++) {
                double e = out[i] - s.y()[i];
                sum += e * e;
            }
        }
        return sum / samples.size() / out.length;
    }
}
