package io.tinyfed.coordinator.api;

import io.micronaut.serde.annotation.Serdeable;
import java.util.List;
import java.util.Map;

/** JSON shapes of the HTTP API; the domain records stay free of framework annotations. */
final class Views {
    private Views() {
    }

    /**
     * A device as the fleet sees it.
     *
     * @param rounds  rounds whose aggregate took an update of it
     * @param refused updates of it refused, every reason
     */
    @Serdeable
    record Device(String id, boolean online, long ramBytes, long flashBytes, String cpu, List<String> formats,
                  List<String> sensors, String gateway, Long samplesSeen, Double prequentialLoss, int rounds, long refused) {
    }

    /** One metrics report of a device, as it arrived. */
    @Serdeable
    record Report(String received, long samplesSeen, Double prequentialLoss, Double prequentialAccuracy) {
    }

    /** A round that asked a device for an update: {@code part} is accepted, refused or straggled. */
    @Serdeable
    record DeviceRound(int round, long baseVersion, long newVersion, String part) {
    }

    /** One device: what it announced, its recent reports, the rounds it took part in, its last refusal. */
    @Serdeable
    record DeviceDetail(Device device, Long arenaBytes, Long saturations, List<Report> reports, List<DeviceRound> rounds,
                        String lastRefusal, String lastRefusalAt) {
    }

    /**
     * The round open now: devices asked, updates accepted and refused so far, the accepted updates that close it early
     * and those it needs by its deadline ({@code remainingMillis} from now, by the coordinator's clock).
     */
    @Serdeable
    record OpenRound(int round, int selected, int accepted, int refused, int early, int needed, String started,
                     String deadline, long remainingMillis) {
    }

    /** How every round runs. */
    @Serdeable
    record Aggregation(String strategy, int innerSteps, float innerLearningRate, int batchSize, String roundTimeout,
                       double quorum, int minReplies, double normBound) {
    }

    /** The run, the round open now (null between rounds) and the aggregation settings in force. */
    @Serdeable
    record Training(Run run, OpenRound open, Aggregation aggregation) {
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

    /** A SPARQL query shipped with the registry. */
    @Serdeable
    record Query(String name, String text) {
    }

    /**
     * What the dashboard watches, pushed whenever any of it changes: the page fetches the part that did.
     *
     * @param refusedUpdates  updates refused so far, every reason
     * @param samplesReported samples the devices' metrics reports count, summed (moves with every report)
     * @param rollouts        a short text naming every rollout, its phase and wave (changes when any moves)
     */
    @Serdeable
    record Live(String fleet, String modelId, boolean running, int roundsWanted, int roundsClosed, boolean roundOpen,
                int roundAccepted, long version, int known, int online, long refusedUpdates, long refusedMessages, int evaluations,
                long samplesReported, String rollouts) {
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
