package io.tinyfed.core;

/** One labelled example: an input vector and its target (a one-hot vector for classification). */
public record Sample(float[] x, float[] y) {
    public Sample {
        if (x == null || y == null) {
            throw new IllegalArgumentException("sample input and target must not be null");
        }
    }
}
