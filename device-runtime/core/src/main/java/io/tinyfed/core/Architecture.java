package io.tinyfed.core;

import java.util.ArrayList;
import java.util.List;

/**
 * An immutable, shape-checked sequence of layers. Build with {@link #builder(int)} or
 * {@link #mlp(Layer.Kind, int...)}.
 */
public final class Architecture {
    private final List<Layer> layers;

    private Architecture(List<Layer> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("an architecture needs at least one layer");
        }
        for (int i = 1; i < layers.size(); i++) {
            int produced = layers.get(i - 1).outputSize();
            int expected = layers.get(i).inputSize();
            if (produced != expected) {
                throw new IllegalArgumentException("layer " + i + " (" + layers.get(i) + ") expects " + expected
                        + " inputs but layer " + (i - 1) + " produces " + produced);
            }
        }
        for (int i = 0; i < layers.size() - 1; i++) {
            if (layers.get(i) instanceof Layer.Activation a && a.kind() == Layer.Kind.SOFTMAX) {
                throw new IllegalArgumentException("softmax is only supported as the last layer (found at " + i + ")");
            }
        }
        this.layers = List.copyOf(layers);
    }

    /** Creates an architecture from explicit layers. */
    public static Architecture of(List<Layer> layers) {
        return new Architecture(new ArrayList<>(layers));
    }

    /**
     * A multilayer perceptron {@code sizes[0] -> ... -> sizes[n-1]} with {@code hidden} after
     * every hidden Dense layer and a linear output, e.g. {@code mlp(RELU, 1, 40, 40, 1)}.
     */
    public static Architecture mlp(Layer.Kind hidden, int... sizes) {
        if (sizes.length < 2) {
            throw new IllegalArgumentException("an MLP needs at least input and output sizes");
        }
        Builder b = builder(sizes[0]);
        for (int i = 1; i < sizes.length; i++) {
            b.dense(sizes[i]);
            if (i < sizes.length - 1) {
                b.activation(hidden);
            }
        }
        return b.build();
    }

    public static Builder builder(int inputSize) {
        return new Builder(inputSize);
    }

    public List<Layer> layers() {
        return layers;
    }

    public Layer layer(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }

    public int inputSize() {
        return layers.get(0).inputSize();
    }

    public int outputSize() {
        return layers.get(layers.size() - 1).outputSize();
    }

    /** Total weights plus biases. */
    public int parameterCount() {
        int n = 0;
        for (Layer l : layers) {
            n += l.weightCount() + l.biasCount();
        }
        return n;
    }

    /**
     * Where the parameters of the last {@code layers} parametrised layers start in model order (they run to the end of
     * the vector): the split between a model's shared part and its personal layers ({@link Reptile#keepPersonal}).
     *
     * @throws IllegalArgumentException unless {@code 0 <= layers < parametrizedLayerCount()} (one layer at least stays
     *                                  shared)
     */
    public int personalStart(int layers) {
        if (layers < 0 || layers >= parametrizedLayerCount()) {
            throw new IllegalArgumentException("personal layers must be in [0, " + parametrizedLayerCount()
                    + "), got " + layers);
        }
        int shared = parametrizedLayerCount() - layers;
        int n = 0;
        for (Layer l : this.layers) {
            if (l.hasParameters()) {
                if (shared-- == 0) {
                    break;
                }
                n += l.weightCount() + l.biasCount();
            }
        }
        return n;
    }

    /** Number of layers that carry parameters. */
    public int parametrizedLayerCount() {
        int n = 0;
        for (Layer l : layers) {
            if (l.hasParameters()) {
                n++;
            }
        }
        return n;
    }

    /** Number of tensors (a weight and a bias tensor per parametrised layer). */
    public int tensorCount() {
        return 2 * parametrizedLayerCount();
    }

    /** Short stable name, e.g. {@code mlp-1-40-40-1} for plain MLPs. */
    public String name() {
        StringBuilder sb = new StringBuilder();
        boolean plainMlp = true;
        for (Layer l : layers) {
            if (l instanceof Layer.Conv1D) {
                plainMlp = false;
            }
        }
        if (plainMlp) {
            sb.append("mlp-").append(inputSize());
            for (Layer l : layers) {
                if (l instanceof Layer.Dense d) {
                    sb.append('-').append(d.out());
                }
            }
            return sb.toString();
        }
        sb.append("net");
        for (Layer l : layers) {
            sb.append('-').append(l.getClass().getSimpleName().toLowerCase()).append(l.outputSize());
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Architecture a && a.layers.equals(layers);
    }

    @Override
    public int hashCode() {
        return layers.hashCode();
    }

    @Override
    public String toString() {
        return "Architecture" + layers;
    }

    /** Appends layers while tracking the running output size. */
    public static final class Builder {
        private final List<Layer> layers = new ArrayList<>();
        private int current;

        private Builder(int inputSize) {
            if (inputSize <= 0) {
                throw new IllegalArgumentException("input size must be positive, got " + inputSize);
            }
            this.current = inputSize;
        }

        public Builder dense(int out) {
            return add(new Layer.Dense(current, out));
        }

        /** Conv1D over a {@code [length][channels]} view of the current output. */
        public Builder conv1d(int length, int channels, int filters, int kernel) {
            return add(new Layer.Conv1D(length, channels, filters, kernel));
        }

        public Builder activation(Layer.Kind kind) {
            return add(new Layer.Activation(kind, current));
        }

        public Builder relu() {
            return activation(Layer.Kind.RELU);
        }

        public Builder tanh() {
            return activation(Layer.Kind.TANH);
        }

        public Builder sigmoid() {
            return activation(Layer.Kind.SIGMOID);
        }

        public Builder softmax() {
            return activation(Layer.Kind.SOFTMAX);
        }

        public Builder add(Layer layer) {
            if (layer.inputSize() != current) {
                throw new IllegalArgumentException(layer + " expects " + layer.inputSize() + " inputs, previous layer produces " + current);
            }
            layers.add(layer);
            current = layer.outputSize();
            return this;
        }

        public Architecture build() {
            return new Architecture(layers);
        }
    }
}
