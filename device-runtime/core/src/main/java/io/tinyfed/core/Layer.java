package io.tinyfed.core;

/**
 * One layer of an {@link Architecture}. Shapes are fixed at construction; batch size is 1.
 * Vectors are flat; Conv1D windows are channels-last ({@code [time][channel]}).
 */
public sealed interface Layer {

    /** Number of input elements this layer expects. */
    int inputSize();

    /** Number of output elements this layer produces. */
    int outputSize();

    /** Number of weight elements (0 for parameter-free layers). */
    default int weightCount() {
        return 0;
    }

    /** Number of bias elements (0 for parameter-free layers). */
    default int biasCount() {
        return 0;
    }

    default boolean hasParameters() {
        return weightCount() > 0;
    }

    /** Fully connected: {@code y = W x + b}, W stored row-major {@code [out][in]}. */
    record Dense(int in, int out) implements Layer {
        public Dense {
            requirePositive(in, "in");
            requirePositive(out, "out");
            requireElements((long) in * out, this);
            if (in > MAX_WIDTH || out > MAX_WIDTH) {
                throw new IllegalArgumentException("Dense layers are at most " + MAX_WIDTH + " wide, got " + in + "x" + out);
            }
        }

        @Override
        public int inputSize() {
            return in;
        }

        @Override
        public int outputSize() {
            return out;
        }

        @Override
        public int weightCount() {
            return in * out;
        }

        @Override
        public int biasCount() {
            return out;
        }
    }

    /**
     * 1-D convolution, stride 1, no padding ("valid"), for sensor and audio-feature windows.
     * Input {@code [length][inChannels]}, output {@code [length - kernel + 1][filters]},
     * weights {@code [filters][kernel][inChannels]}.
     */
    record Conv1D(int length, int inChannels, int filters, int kernel) implements Layer {
        public Conv1D {
            requirePositive(length, "length");
            requirePositive(inChannels, "inChannels");
            requirePositive(filters, "filters");
            requirePositive(kernel, "kernel");
            requireElements((long) filters * kernel * inChannels, this);
            requireElements((long) length * Math.max(inChannels, filters), this);
            if (kernel > length) {
                throw new IllegalArgumentException("Conv1D kernel " + kernel + " longer than input length " + length);
            }
        }

        public int outLength() {
            return length - kernel + 1;
        }

        @Override
        public int inputSize() {
            return length * inChannels;
        }

        @Override
        public int outputSize() {
            return outLength() * filters;
        }

        @Override
        public int weightCount() {
            return filters * kernel * inChannels;
        }

        @Override
        public int biasCount() {
            return filters;
        }
    }

    /** Element-wise or vector nonlinearity; output size equals input size. */
    record Activation(Kind kind, int size) implements Layer {
        public Activation {
            requirePositive(size, "size");
            if (kind == null) {
                throw new IllegalArgumentException("activation kind is null");
            }
        }

        @Override
        public int inputSize() {
            return size;
        }

        @Override
        public int outputSize() {
            return size;
        }
    }

    /** Nonlinearities. Softmax is only trainable as the last layer with cross-entropy loss. */
    enum Kind { RELU, TANH, SIGMOID, SOFTMAX }

    /** Largest weight or activation count of one layer (keeps every index and byte count in int). */
    long MAX_ELEMENTS = 1L << 26;

    /** Widest Dense input or output; keeps the S16 input-gradient split sums exact in int32. */
    int MAX_WIDTH = 32767;

    private static void requireElements(long n, Layer layer) {
        if (n > MAX_ELEMENTS) {
            throw new IllegalArgumentException(layer + " has " + n + " elements, limit " + MAX_ELEMENTS);
        }
    }

    private static void requirePositive(int v, String name) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }
}
