package io.tinyfed.coordinator.api;

import io.micronaut.serde.annotation.Serdeable;
import java.util.List;
import java.util.Map;

/** JSON shapes of the HTTP API; the domain records stay free of framework annotations. */
final class Views {
    private Views() {
    }

    @Serdeable
    record Device(String id, boolean online, long ramBytes, long flashBytes, String cpu, List<String> formats,
                  List<String> sensors, String gateway, Long samplesSeen, Double prequentialLoss) {
    }

    @Serdeable
    record Fleet(String fleet, int known, int online, int eligible, List<Device> devices) {
    }

    @Serdeable
    record Round(int round, long baseVersion, long newVersion, List<String> selected, List<String> accepted,
                 Map<String, Integer> rejected, List<String> stragglers, String started, String ended, String outcome,
                 Double meanLossBefore, Double meanLossAfter) {
    }

    @Serdeable
    record Version(String modelId, long version, int round, long parentVersion, String sha256, String strategy,
                   List<String> contributors, Map<String, Integer> rejected, Double metaEvalLoss, String createdAt) {
    }

    @Serdeable
    record Evaluation(int round, long version, double adaptedLoss) {
    }

    @Serdeable
    record Run(boolean running, int roundsWanted, int roundsClosed, boolean roundOpen, long modelVersion) {
    }

    @Serdeable
    record RunRequest(int rounds) {
    }

    @Serdeable
    record Rejections(Map<String, Long> updates, Map<String, Long> messages) {
    }

    /** A rollout to create; every field but a target may be left out (the plan's defaults apply). */
    @Serdeable
    record RolloutRequest(String id, Long version, List<String> devices, Boolean fleet, String sparql, List<Double> waves,
                          String waveTimeout, Double minSuccess, Double maxLossRatio, Integer shadowSamples,
                          Integer personaliseSteps, Float personaliseLearningRate, Long seed) {
    }

    @Serdeable
    record Wave(int wave, int devices, String opened, String deadline, String closed, Double installedFraction,
                Double medianLossRatio, Integer compared, String verdict) {
    }

    @Serdeable
    record RolloutDevice(String id, int wave, String step, String reason, Long servingVersion, Integer shadowSamples,
                         Double shadowLoss, Double previousLoss, Double lossRatio, boolean personalised,
                         Double genericLoss) {
    }

    @Serdeable
    record Decision(String at, String text) {
    }

    @Serdeable
    record Rollout(String id, String modelId, long version, String phase, String reason, String created, int currentWave,
                   Map<String, Integer> counts, List<Wave> waves, List<RolloutDevice> devices, List<Decision> decisions) {
    }

    @Serdeable
    record Deployment(String device, String rollout, String state, String modelId, Long servingVersion,
                      Long previousVersion, String format, String reason, Double shadowLoss, Double previousLoss,
                      boolean personalised) {
    }

    @Serdeable
    record Error(String error) {
    }

    /** One device that can run (or train) a model, or one model that fits a device. */
    @Serdeable
    record Match(String device, String model, String name, String format, long arenaBytes, boolean arenaEstimated,
                 Long ramBytes, Integer trainableLayers) {
    }

    /** A device a model excludes, and what it misses. */
    @Serdeable
    record Excluded(String device, List<String> reasons) {
    }

    /** Matchmaking for one model or one device; {@code excluded} only when asked. */
    @Serdeable
    record Matches(String model, String device, String purpose, List<Match> matches, List<Excluded> excluded) {
    }
}
