package io.tinyfed.simulators;

import io.tinyfed.coordinator.strategy.Reply;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.core.Network;
import io.tinyfed.core.Reptile;
import io.tinyfed.core.Sample;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.simulators.tasks.TaskFamily;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Reptile run centrally in F32, the baseline federated Reptile is measured against: the coordinator's strategy
 * (selection, outer step, epsilon schedule) over the same devices' tasks, each selected task adapted on fresh
 * samples with the family's protocol (shots, inner steps, learning rate), all in this process.
 */
final class CentralReptile {
    private CentralReptile() {
    }

    static Model run(TaskFamily family, Model init, List<? extends TaskFamily.Task> deviceTasks, int rounds, int perRound) {
        TaskFamily.Protocol p = family.protocol();
        ReptileStrategy strategy = new ReptileStrategy(1.0, true, rounds, Selection.count(perRound));
        List<String> ids = new ArrayList<>();
        for (int d = 0; d < deviceTasks.size(); d++) {
            ids.add(SimulatedFleet.deviceId(d));
        }
        Network scratch = Network.prepare(init, TrainingConfig.builder().loss(family.loss()).learningRate(p.learningRate())
                .accumulationSteps(p.shots()).build());
        SplittableRandom random = new SplittableRandom(99);
        Model theta = init;
        for (int round = 1; round <= rounds; round++) {
            List<Reply> replies = new ArrayList<>();
            for (String id : strategy.configureRound(round, ids, 1)) {
                List<Sample> shots = deviceTasks.get(Integer.parseInt(id.substring(4))).samples(p.shots(), random);
                Model phi = Reptile.adapt(scratch, theta, shots, p.steps(), p.learningRate());
                replies.add(new Reply(id, Reptile.delta(phi, theta), p.shots(), 0, 0));
            }
            theta = theta.withRealParameters(strategy.aggregate(round, theta.toRealVector(), replies, List.of()));
        }
        return theta;
    }
}
