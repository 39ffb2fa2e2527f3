package io.tinyfed.core.kernels;

/**
 * Receives the per-element SGD updates of the S16 kernels. The kernels compute each update as an
 * exact int64 product ({@code lr * dy * x}) together with the shift that brings it to the weight's
 * fractional bits; the implementation decides how it lands (rounding mode, master weights,
 * accumulation) and counts saturation. Implementations are owned by the engine and allocate nothing.
 */
public interface WeightUpdate {
    /**
     * Applies {@code w[index] -= update * 2^-shift}.
     *
     * @param weights   int16 storage of the tensor
     * @param index     element index into {@code weights}
     * @param update    exact update magnitude, {@code |update| < 2^62}
     * @param shift     fractional bits of {@code update} minus those of the weight, in [-62, 62]
     * @param trainable index of this parameter among the trainable ones (for master/accumulator state)
     * @param noise16   the element's 16-bit stochastic-rounding noise (ignored with nearest rounding)
     */
    void apply(short[] weights, int index, long update, int shift, int trainable, int noise16);
}
