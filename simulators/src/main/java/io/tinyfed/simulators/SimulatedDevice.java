package io.tinyfed.simulators;

import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.Reptile;
import io.tinyfed.core.Sample;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.simulators.tasks.Adaptation;
import io.tinyfed.simulators.tasks.TaskFamily;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * One simulated device: its hardware profile, its task, the samples it holds and whether it is malicious. It answers a
 * task as an agent does: the snapshot in its own training format (quantised on its samples for S16), its profile's
 * trainable layers, {@code innerSteps} SGD steps on its samples, the delta; a malicious device then corrupts it.
 */
record SimulatedDevice(String id, HardwareProfile profile, TaskFamily.Task task, List<Sample> samples, boolean malicious) {

    /**
     * @param networks where the device gets a prepared scratch network for a configuration and model (the caller
     *                 decides what is shared: one per device, or one per gateway and configuration)
     */
    ModelUpdate adapt(TaskFamily family, Model snapshot, TrainTask t, InProcessSimulation.Attack attack,
                      BiFunction<TrainingConfig, Model, Network> networks) {
        NumberFormat format = profile.trainingFormat();
        Model theta = format == NumberFormat.F32 ? snapshot : Quantizer.toS16(snapshot, xs(samples));
        // Stochastic-rounding seed 0 (TrainingConfig's default), as the simulation has always trained.
        TrainingConfig config = profile.trainingConfig(theta, t.learningRate(), Math.min(t.batchSize(), samples.size()), 0)
                .orElseThrow(() -> new IllegalStateException(profile.name() + " cannot train " + theta.architecture().name()));
        Model start = theta;
        if (t.personalLayers() > 0) { // partial local reconstruction: re-fit the personal layers, the rest frozen
            TrainingConfig personal = config.toBuilder().trainableLayers(t.personalLayers()).build();
            start = Reptile.adapt(networks.apply(personal, theta), theta, samples, t.innerSteps(), t.learningRate());
        }
        Network net = networks.apply(config, theta);
        net.load(start);
        float before = (float) Adaptation.loss(family, net, samples);
        Model phi = Reptile.adapt(net, start, samples, t.innerSteps(), t.learningRate());
        float after = (float) Adaptation.loss(family, net, samples);
        float[] delta = Reptile.delta(phi, start);
        if (t.personalLayers() > 0) {
            Reptile.keepPersonal(delta, theta.architecture(), t.personalLayers());
        }
        if (malicious) {
            for (int i = 0; i < delta.length; i++) {
                delta[i] = switch (attack) {
                    case NAN -> i == 0 ? Float.NaN : delta[i];
                    case SCALED -> delta[i] * 20f;
                    case SIGN_FLIPPED -> -delta[i] * 5f;
                    case CONSTANT -> 10f;
                    case INFLATED_COUNT -> -delta[i];
                };
            }
        }
        int claimed = malicious && attack == InProcessSimulation.Attack.INFLATED_COUNT ? Integer.MAX_VALUE : samples.size();
        return new ModelUpdate(t.round(), id, t.modelId(), t.modelVersion(), delta, claimed, before, after);
    }

    /** A deployed version's figures on this device: mean prequential losses on the same live samples. */
    record ShadowFigures(double candidate, double previous, double generic, boolean personalised,
                         NumberFormat format) {
    }

    /**
     * Installs {@code candidate} as an agent does and compares it in shadow with {@code previous}, the release of
     * the version it served: both in the device's training format, both personalised with {@code personaliseSteps}
     * SGD steps (minibatches of up to ten) on the device's samples, then tested and trained on each of the next
     * {@code shadowSamples} live samples of its task (prequential); with personalisation the candidate as released
     * runs beside them too. Live samples come from {@code random}. The figures are what the device reports: a
     * malicious device lies, reporting the candidate ten times worse than it measured.
     */
    ShadowFigures install(TaskFamily family, Model candidate, Model previous, int personaliseSteps, float personaliseLr,
                          int shadowSamples, float onlineLr, SplittableRandom random) {
        NumberFormat format = profile.trainingFormat();
        Model c = format == NumberFormat.F32 ? candidate : Quantizer.toS16(candidate, xs(samples));
        Model p = format == NumberFormat.F32 ? previous : Quantizer.toS16(previous, xs(samples));
        boolean personalised = personaliseSteps > 0 && !samples.isEmpty();
        Model released = c;
        if (personalised) {
            c = personalise(c, personaliseSteps, personaliseLr);
            p = personalise(p, personaliseSteps, personaliseLr);
        }
        io.tinyfed.core.OnlineLearner served = learner(c, onlineLr);
        io.tinyfed.core.OnlineLearner before = learner(p, onlineLr);
        io.tinyfed.core.OnlineLearner generic = personalised ? learner(released, onlineLr) : null;
        double lc = 0;
        double lp = 0;
        double lg = 0;
        for (Sample s : task.samples(shadowSamples, random)) {
            lc += served.observe(s.x(), s.y());
            lp += before.observe(s.x(), s.y());
            if (generic != null) {
                lg += generic.observe(s.x(), s.y());
            }
        }
        int n = Math.max(1, shadowSamples);
        double reported = malicious ? 10 * lc : lc;
        return new ShadowFigures(shadowSamples == 0 ? Double.NaN : reported / n, shadowSamples == 0 ? Double.NaN : lp / n,
                generic == null || shadowSamples == 0 ? Double.NaN : lg / n, personalised, format);
    }

    private Model personalise(Model m, int steps, float lr) {
        TrainingConfig config = profile.trainingConfig(m, lr, Math.min(samples.size(), 10), 0)
                .orElseThrow(() -> new IllegalStateException(profile.name() + " cannot train " + m.architecture().name()));
        return Reptile.adapt(Network.prepare(m, config), m, samples, steps, lr);
    }

    private io.tinyfed.core.OnlineLearner learner(Model m, float lr) {
        TrainingConfig config = profile.trainingConfig(m, lr, 1, 0)
                .orElseThrow(() -> new IllegalStateException(profile.name() + " cannot train " + m.architecture().name()));
        return new io.tinyfed.core.OnlineLearner(Network.prepare(m, config), 1);
    }

    /**
     * The devices of a simulated fleet, the same for every transport given the seed: device i is {@code sim-0000i}
     * with profile {@code i mod profiles}, a training task of {@code family} and {@code shots} samples of it; the first
     * {@code round(maliciousFraction * count)} devices are malicious.
     */
    static List<SimulatedDevice> fleet(TaskFamily family, int count, List<HardwareProfile> profiles, int shots,
                                       double maliciousFraction, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int malicious = (int) Math.round(maliciousFraction * count);
        List<SimulatedDevice> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            TaskFamily.Task task = family.trainingTask(r);
            out.add(new SimulatedDevice(String.format("sim-%05d", i), profiles.get(i % profiles.size()), task,
                    task.samples(shots, r.split()), i < malicious));
        }
        return out;
    }

    DeviceHello hello(String fleet, String gatewayId) {
        return profile.hello(id, fleet, "sim", gatewayId, 0);
    }

    private static List<float[]> xs(List<Sample> samples) {
        List<float[]> out = new ArrayList<>(samples.size());
        for (Sample s : samples) {
            out.add(s.x());
        }
        return out;
    }
}
