package io.tinyfed.bench;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Loss;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.Sample;
import io.tinyfed.core.TrainingConfig;
import java.util.ArrayList;
import java.util.List;

/** The two reference models of the runtime benchmark and how each is trained. */
public enum BenchModels {
    /** Sine regression MLP 1-40-40-1, ReLU, MSE (the MAML/Reptile sine network). */
    SINE(Architecture.mlp(Layer.Kind.RELU, 1, 40, 40, 1), Loss.MSE, 0.003f),
    /** 8x8 digits classifier 64-32-10, ReLU, softmax cross-entropy. */
    DIGITS(Architecture.builder(64).dense(32).relu().dense(10).softmax().build(), Loss.SOFTMAX_CROSS_ENTROPY, 0.05f);

    private final Architecture architecture;
    private final Loss loss;
    private final float learningRate;

    BenchModels(Architecture architecture, Loss loss, float learningRate) {
        this.architecture = architecture;
        this.loss = loss;
        this.learningRate = learningRate;
    }

    public Architecture architecture() {
        return architecture;
    }

    /** Online SGD with the runtime's defaults (stochastic rounding, scale adaptation). */
    public TrainingConfig trainingConfig(long seed) {
        return TrainingConfig.builder().loss(loss).learningRate(learningRate).seed(seed).build();
    }

    /** A seeded random init in {@code format}; S16 scales calibrated on {@link #samples}. */
    public Model initialModel(NumberFormat format, long seed) {
        Model f32 = Model.initialize(architecture, seed);
        if (format == NumberFormat.F32) {
            return f32;
        }
        List<float[]> calibration = new ArrayList<>();
        for (Sample s : samples(seed).subList(0, 200)) {
            calibration.add(s.x());
        }
        return Quantizer.toS16(f32, calibration);
    }

    /** A few hundred representative samples: one sine task, or the first digits. */
    public List<Sample> samples(long seed) {
        if (this == SINE) {
            return SineTasks.samples(2.5, 0.7, 256, new java.util.SplittableRandom(seed));
        }
        return UciDigits.load().subList(0, 256);
    }
}
