package io.tinyfed.protocol;

import java.time.Instant;

/**
 * The coordinator's request to one device for one round: adapt model {@code modelVersion} with
 * {@code innerSteps} SGD steps at {@code learningRate} (minibatches of {@code batchSize}) and
 * publish the update before {@code deadline}.
 */
public record TrainTask(int round, String modelId, long modelVersion, int innerSteps, float learningRate,
                        int batchSize, Instant deadline) {
}
