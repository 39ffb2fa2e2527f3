package io.tinyfed.core;

/** Training losses for one sample. */
public enum Loss {
    /** {@code (1/n) sum (y - t)^2}; gradient {@code (2/n)(y - t)}. */
    MSE,
    /**
     * Softmax cross-entropy; the architecture must end in a Softmax layer, whose backward pass is
     * fused with the loss ({@code dL/dlogits = p - t}). Target is a probability vector (usually
     * one-hot).
     */
    SOFTMAX_CROSS_ENTROPY
}
