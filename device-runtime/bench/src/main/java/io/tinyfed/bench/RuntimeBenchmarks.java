package io.tinyfed.bench;

import io.tinyfed.core.Network;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.Sample;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH timings of the hot paths. Each invocation trains (or infers) on the next of 256 prepared
 * samples, so the measured work is one real {@code trainStep}/{@code infer} per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(java.util.concurrent.TimeUnit.NANOSECONDS)
public class RuntimeBenchmarks {
    @Param({"SINE", "DIGITS"})
    public String model;

    @Param({"F32", "S16"})
    public String format;

    private Network trainer;
    private Network inferer;
    private float[][] xs;
    private float[][] ys;
    private float[] out;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        BenchModels m = BenchModels.valueOf(model);
        NumberFormat f = NumberFormat.valueOf(format);
        trainer = Network.prepare(m.initialModel(f, 1), m.trainingConfig(1));
        inferer = Network.prepare(m.initialModel(f, 1), io.tinyfed.core.TrainingConfig.inference());
        List<Sample> samples = m.samples(1);
        xs = new float[samples.size()][];
        ys = new float[samples.size()][];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = samples.get(i).x();
            ys[i] = samples.get(i).y();
        }
        out = new float[m.architecture().outputSize()];
    }

    @Benchmark
    public float trainStep() {
        int i = next++ & 255;
        return trainer.trainStep(xs[i], ys[i]);
    }

    @Benchmark
    public float infer() {
        int i = next++ & 255;
        inferer.infer(xs[i], out);
        return out[0];
    }
}
