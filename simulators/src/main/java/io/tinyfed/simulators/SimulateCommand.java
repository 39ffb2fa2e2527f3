package io.tinyfed.simulators;

import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.RobustAggregation;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.coordinator.store.ModelStore;
import io.tinyfed.core.Model;
import io.tinyfed.simulators.tasks.Adaptation;
import io.tinyfed.simulators.tasks.TaskFamilies;
import io.tinyfed.simulators.tasks.TaskFamily;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./tinyfed simulate}: a simulated fleet learning a task family by federated Reptile through the
 * coordinator's real round engine, with a hardware mix and faults, either in process ({@code inproc}: fast,
 * simulated clock, deterministic for a seed) or over MQTT ({@code mqtt}: a real coordinator and broker, devices
 * behind gateways that pre-aggregate their updates). Writes per-round CSV and a plot, prints a summary table.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
        description = "Simulate a fleet learning by federated Reptile, in process or over MQTT.")
public final class SimulateCommand implements Callable<Integer> {
    @Option(names = "--family", defaultValue = "sine",
            description = "Task family: sine, digits, fashion, keywords or presence (default: ${DEFAULT-VALUE}).")
    String family;

    @Option(names = "--data", description = "The family's data: a digits CSV, the Fashion-MNIST IDX folder or a Speech "
            + "Commands folder (default: the bundled digits, /usr/share/datasets/fashion-mnist, the espeak-ng corpus).")
    Path data;

    @Option(names = "--transport", defaultValue = "inproc",
            description = "inproc (simulated clock, one process) or mqtt (real coordinator, broker and gateways; default: "
                    + "${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--gateways", defaultValue = "10", description = "mqtt: gateways the devices stand behind, each one "
            + "MQTT client that pre-aggregates its devices' updates; 0: every device is a real agent with its own MQTT "
            + "client (default: ${DEFAULT-VALUE}).")
    int gateways;

    @Option(names = "--per-gateway", defaultValue = "10",
            description = "mqtt: devices an asked gateway asks per round (default: ${DEFAULT-VALUE}).")
    int perGateway;

    @Option(names = "--broker", description = "mqtt: an MQTT 5 broker URI (default: the coordinator's embedded broker).")
    String broker;

    @Option(names = "--devices", defaultValue = "100", description = "Simulated devices (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--rounds", defaultValue = "200", description = "Rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--per-round", defaultValue = "10",
            description = "Devices (mqtt: gateways) asked per round (default: ${DEFAULT-VALUE}).")
    int perRound;

    @Option(names = "--profiles", defaultValue = "cortex-m4,gateway", split = ",",
            description = "Hardware profiles devices cycle through: built-in names or .properties files (default: ${DEFAULT-VALUE}).")
    List<String> profiles;

    @Option(names = "--shots", description = "Local samples per device (default: the family's, sine 10).")
    Integer shots;

    @Option(names = "--inner-steps", description = "Device SGD steps per round (default: the family's, sine 32).")
    Integer innerSteps;

    @Option(names = "--lr", description = "Device learning rate (default: the family's, sine 0.02).")
    Float lr;

    @Option(names = "--dropout", defaultValue = "0", description = "Probability a selected device does not answer.")
    double dropout;

    @Option(names = "--malicious", defaultValue = "0", description = "Fraction of malicious devices.")
    double malicious;

    @Option(names = "--latency", defaultValue = "0", description = "Mean answer latency in seconds (exponential; answers "
            + "after the round deadline are refused as LATE; default: ${DEFAULT-VALUE}).")
    double latency;

    @Option(names = "--disconnect", defaultValue = "0", description = "Probability per round that an online device (mqtt: "
            + "gateway) disconnects; it reconnects 1 to --offline-rounds rounds later (default: ${DEFAULT-VALUE}).")
    double disconnect;

    @Option(names = "--offline-rounds", defaultValue = "5", description = "Longest stay offline, in rounds (default: ${DEFAULT-VALUE}).")
    int offlineRounds;

    @Option(names = "--round-timeout", description = "Round deadline in seconds (default: 10 inproc, on the simulated "
            + "clock; 60 mqtt).")
    Double roundTimeout;

    @Option(names = "--attack", defaultValue = "scaled", description = "nan, scaled (x20), sign-flipped (x-5), constant (every value 10) or "
            + "inflated-count (x-1, claiming 2^31-1 samples).")
    String attack;

    @CommandLine.Mixin
    io.tinyfed.coordinator.RoundOptions roundOptions;

    @Option(names = "--answer-time", defaultValue = "1", paramLabel = "SECONDS", description = "Median time a device "
            + "(mqtt: a gateway) takes to answer a task, log-normal; inproc on the simulated clock, mqtt on the wall clock "
            + "with --slow-fraction or --availability (default: ${DEFAULT-VALUE}).")
    double answerTime;

    @Option(names = "--answer-spread", defaultValue = "0.5", description = "Spread (sigma of the logarithm) of the "
            + "answer times (default: ${DEFAULT-VALUE}).")
    double answerSpread;

    @Option(names = "--slow-fraction", defaultValue = "0", description = "Fraction of the devices (mqtt: gateways) that "
            + "are --slow-factor times slower, e.g. 0.33 (default: ${DEFAULT-VALUE}).")
    double slowFraction;

    @Option(names = "--slow-factor", defaultValue = "10", description = "How much slower the slow devices are "
            + "(default: ${DEFAULT-VALUE}).")
    double slowFactor;

    @Option(names = "--availability", defaultValue = "1", description = "Fraction of the time a device (mqtt: a "
            + "gateway, which leaves the broker) is online, in periods averaging --availability-cycle seconds "
            + "(default: ${DEFAULT-VALUE}: always).")
    double availability;

    @Option(names = "--availability-cycle", defaultValue = "120", paramLabel = "SECONDS", description = "Mean length of "
            + "an online plus an offline period (default: ${DEFAULT-VALUE}).")
    double availabilityCycle;

    @Option(names = "--aggregation", defaultValue = "mean", description = "mean, trimmed-mean or median.")
    String aggregation;

    @Option(names = "--trim", defaultValue = "0.1", description = "Trim fraction for trimmed-mean.")
    double trim;

    @Option(names = "--clip-norm", defaultValue = "0", description = "Delta clipping (0 off, negative: x median norm).")
    double clipNorm;

    @Option(names = "--quarantine-ratio", defaultValue = "0", description = "Quarantine devices after "
            + "--quarantine-strikes updates longer than this many times the round's median norm (0: off); over mqtt the "
            + "coordinator quarantines gateways and each gateway the devices behind it.")
    double quarantineRatio;

    @Option(names = "--quarantine-strikes", defaultValue = "2", description = "Strikes before quarantine (default: ${DEFAULT-VALUE}).")
    int quarantineStrikes;

    @Option(names = "--eval-every", defaultValue = "20", description = "Meta-evaluation period in rounds (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--out", defaultValue = "results/simulate", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--rollout", description = "After the rounds, roll a version out to the whole fleet in gated "
            + "waves: final (the final meta-model, while the fleet serves the initial version) or initial (the initial "
            + "version over the final one: the quality gate must stop it at the first wave and roll that wave back). "
            + "Malicious devices report the version ten times worse than they measure. Over MQTT the rollout goes to the "
            + "gateways (each reports its devices' median figures), after an ungated one gives them the version they serve.")
    String rollout;

    @Option(names = "--sample-interval", defaultValue = "1", description = "--rollout: seconds between a device's "
            + "live samples, on the simulated clock (default: ${DEFAULT-VALUE}).")
    double sampleInterval;

    @Option(names = "--online-lr", defaultValue = "0.005", description = "--rollout: the devices' online learning rate "
            + "while they serve, as the agent's --lr (default: ${DEFAULT-VALUE}).")
    float onlineLr;

    @CommandLine.Mixin
    io.tinyfed.coordinator.PlanOptions planOptions;

    private final PrintStream console = System.out;

    /**
     * One row of the per-round CSV. {@code accepted} counts participants (devices, or gateways over mqtt);
     * {@code deviceUpdates} the device updates inside them; {@code adapted} is the family's metric for new devices
     * (MSE or accuracy; NaN in rounds that were not evaluated).
     */
    public record Row(int round, int selected, int accepted, int deviceUpdates, int rejected, int stragglers,
                      double lossBefore, double lossAfter, double adapted) {
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!"inproc".equals(transport) && !"mqtt".equals(transport)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--transport is inproc or mqtt, not '" + transport + "'");
        }
        if (!TaskFamilies.NAMES.contains(family)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--family is one of " + TaskFamilies.NAMES);
        }
        if (rollout != null && !"final".equals(rollout) && !"initial".equals(rollout)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rollout is final or initial, not '" + rollout + "'");
        }
        if (rollout != null && "mqtt".equals(transport) && gateways == 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rollout over MQTT needs --gateways > 0 (agents "
                    + "fed a fixed sample set have no live samples to compare versions on); for a rollout to real agents run "
                    + "./tinyfed experiment deploy");
        }
        if (!(onlineLr > 0)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--online-lr must be positive");
        }
        if (!(sampleInterval >= 0)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sample-interval must be >= 0 seconds");
        }
        System.setProperty("java.awt.headless", "true");
        io.tinyfed.coordinator.Logging.warningsOnly();
        long started = System.nanoTime();
        List<Row> rows = run();
        Files.createDirectories(out);
        StringBuilder csv = new StringBuilder("round,selected,accepted,device_updates,rejected,stragglers,loss_before,"
                + "loss_after," + metric + "\n");
        for (Row r : rows) {
            csv.append(String.format(Locale.ROOT, "%d,%d,%d,%d,%d,%d,%.6f,%.6f,%s%n", r.round(), r.selected(), r.accepted(),
                    r.deviceUpdates(), r.rejected(), r.stragglers(), r.lossBefore(), r.lossAfter(),
                    Double.isNaN(r.adapted()) ? "" : String.format(Locale.ROOT, "%.6f", r.adapted())));
        }
        Files.writeString(out.resolve("rounds.csv"), csv.toString());
        plot(rows);
        summary(rows, (System.nanoTime() - started) / 1e9);
        if (rolloutResult != null) {
            writeRollout(rolloutResult);
        }
        return 0;
    }

    /** Runs the simulation; same options and seed give the same rows (over mqtt: up to arrival order). */
    public List<Row> run() throws Exception {
        plan = rollout == null ? null : planOptions.plan(spec.commandLine());
        rolloutResult = null;
        TaskFamily fam = TaskFamilies.byName(family, data);
        TaskFamily.Protocol protocol = fam.protocol();
        int localSamples = shots != null ? shots : protocol.shots();
        metric = fam.classification() ? "adapted_accuracy" : "adapted_mse";
        List<HardwareProfile> ps = new ArrayList<>();
        for (String p : profiles) {
            ps.add(HardwareProfile.load(p));
        }
        io.tinyfed.protocol.cli.Cli.choice(spec, "--aggregation", RobustAggregation.Rule.class, aggregation);
        InProcessSimulation.Attack attackKind = io.tinyfed.protocol.cli.Cli.choice(spec, "--attack",
                InProcessSimulation.Attack.class, attack);
        int permille = roundOptions.uplinkPermille(spec.commandLine());
        RoundEngine.AsyncSettings async = roundOptions.async(spec.commandLine());
        boolean heterogeneous = slowFraction > 0 || availability < 1;
        boolean timed = async != null || heterogeneous; // in process: on the simulated clock
        InProcessSimulation.Timing timing = timing();
        if (latency > 0 && (heterogeneous || (timed && "inproc".equals(transport)))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--latency is for rounds off the clock; with "
                    + "--slow-fraction or --availability (or --async in process) use --answer-time");
        }
        int downPermille = roundOptions.downlinkPermille(spec.commandLine());
        Path store = Files.createTempDirectory("tinyfed-simulate");
        Model init = Model.initialize(fam.architecture(), seed);
        RobustAggregation agg = RobustAggregation.of(aggregation, trim, clipNorm);
        InProcessSimulation.Faults faults = new InProcessSimulation.Faults(dropout, malicious,
                attackKind,
                Duration.ofNanos((long) (latency * 1e9)), disconnect, offlineRounds);
        Duration timeout = Duration.ofNanos((long) (1e9 * (roundTimeout != null ? roundTimeout
                : "mqtt".equals(transport) ? 60 : 10)));
        RoundEngine.Settings settings = new RoundEngine.Settings(fam.name(), innerSteps != null ? innerSteps : protocol.steps(),
                lr != null ? lr : protocol.learningRate(), localSamples, timeout, 1.0, 1, 1e3, seed);
        ReptileStrategy strategy = new ReptileStrategy(1.0, true, rounds, Selection.count(perRound), agg);
        List<TaskFamily.Task> heldOut = fam.heldOutTasks(100, seed + 1000);
        List<Row> rows = new ArrayList<>();
        try (Progress bar = Progress.start("rounds", rounds)) {
            if ("inproc".equals(transport)) {
                InProcessSimulation sim = new InProcessSimulation(store, fam, init, settings, strategy, devices, ps,
                        localSamples, faults, seed);
                sim.engine().setQuarantine(quarantine());
                if (permille > 0) {
                    sim.encodeUpdates(true);
                    sim.engine().setUplinkPermille(permille);
                }
                sim.engine().setDownlinkPermille(downPermille);
                sim.engine().setPersonalLayers(roundOptions.personalLayers(spec.commandLine()));
                if (timed) {
                    sim.engine().setStragglerRest(2);
                    sim.engine().setAsync(async);
                    Map<Integer, Double> scored = new java.util.HashMap<>();
                    simulatedSeconds = sim.runTimed(timing, rounds, Duration.ofDays(365), seconds -> {
                        int k = sim.engine().roundsClosed();
                        bar.step();
                        if (k % evalEvery == 0 || k == rounds) {
                            scored.put(k, score(fam, sim.engine().currentModel(), heldOut));
                        }
                    });
                    for (RoundEngine.RoundSummary s : sim.engine().history()) {
                        rows.add(row(s, s.accepted().size(), scored.getOrDefault(rows.size() + 1, Double.NaN)));
                    }
                }
                for (int k = 1; !timed && k <= rounds; k++) {
                    RoundEngine.RoundSummary s = sim.round();
                    bar.step();
                    if (s != null) {
                        double adapted = k % evalEvery == 0 || k == rounds ? score(fam, sim.engine().currentModel(), heldOut)
                                : Double.NaN;
                        rows.add(row(s, s.accepted().size(), adapted));
                    }
                }
                rejectedByReason = names(sim.engine().rejectedTotals());
                finalModel = sim.engine().currentModel();
                uplinkBytesPerUpdate = sim.uplinkUpdates() == 0 ? Double.NaN
                        : (double) sim.uplinkBytes() / sim.uplinkUpdates();
                long[] downlink = sim.downlink();
                downlinkBytesPerVersion = downlink[1] == 0 ? Double.NaN : (double) downlink[0] / downlink[1];
                if (plan != null) {
                    rolloutResult = rollout(sim, fam, init, faults, onlineLr);
                }
            } else {
                try (MqttSimulation sim = new MqttSimulation(store, broker, fam, init, settings, strategy, devices, gateways,
                        perGateway, ps, localSamples, faults, seed, heterogeneous ? timing : null)) {
                    sim.engine().setQuarantine(quarantine());
                    if (quarantine() != null) {
                        sim.quarantineAtGateways(this::quarantine);
                    }
                    sim.engine().setUplinkPermille(permille);
                    sim.engine().setDownlinkPermille(downPermille);
                    sim.engine().setAsync(async);
                    sim.engine().setPersonalLayers(roundOptions.personalLayers(spec.commandLine()));
                    sim.run(rounds, Duration.ofMinutes(Math.max(10, rounds)), bar::stepTo);
                    Map<Integer, Model> evaluated = new TreeMap<>();
                    for (ModelStore.Version v : sim.store().versions(fam.name())) {
                        if (v.round() > 0 && (v.round() % evalEvery == 0 || v.round() == rounds)) {
                            evaluated.put(v.round(), sim.store().load(v));
                        }
                    }
                    for (RoundEngine.RoundSummary s : sim.engine().history()) {
                        Model m = evaluated.get(s.round());
                        rows.add(row(s, sim.deviceUpdates(s), m == null ? Double.NaN : score(fam, m, heldOut)));
                    }
                    if (plan != null) {
                        long last = sim.engine().currentVersion().version();
                        boolean good = "final".equals(rollout);
                        rolloutResult = sim.rollout(good ? last : 1, good ? 1 : last, plan, seed);
                    }
                    rejectedByReason = names(sim.engine().rejectedTotals());
                    refusedAtGateways = names(sim.refusedAtGateways());
                    long[] uplink = sim.gatewayUplink();
                    uplinkBytesPerUpdate = uplink[0] == 0 ? Double.NaN : (double) uplink[1] / uplink[0];
                    brokerUri = sim.brokerUri();
                    disconnects = sim.disconnects();
                    startupSeconds = sim.startupSeconds();
                    finalModel = sim.engine().currentModel();
                }
            }
        } finally {
            ExperimentCommand.deleteTree(store); // the run's model store: the results are in --out
        }
        randomInit = score(fam, init, heldOut);
        curves = new double[2][CURVE_STEPS.length];
        for (int k = 0; k < CURVE_STEPS.length; k++) {
            TaskFamily.Protocol p = evaluated(fam).withSteps(CURVE_STEPS[k]);
            curves[0][k] = Adaptation.meanAndInterval(Adaptation.scores(fam, finalModel, heldOut, p, seed))[0];
            curves[1][k] = Adaptation.meanAndInterval(Adaptation.scores(fam, init, heldOut, p, seed))[0];
        }
        return rows;
    }

    /**
     * The rollout after the rounds: the final meta-model over the initial version, or the other way round; every
     * device of the fleet is a target, those offline after the last round are away when it starts.
     */
    private SimulatedRollout.Result rollout(InProcessSimulation sim, TaskFamily fam, Model init,
                                            InProcessSimulation.Faults faults, float onlineLr) throws Exception {
        ModelStore.Version last = sim.engine().currentVersion();
        Model trained = sim.engine().currentModel();
        boolean good = "final".equals(rollout);
        SimulatedRollout r = new SimulatedRollout(fam, sim.devices(), faults,
                Duration.ofNanos((long) (sampleInterval * 1e9)), onlineLr, seed);
        return r.run(fam.name(), good ? last.version() : 1, good ? trained : init, good ? 1 : last.version(),
                good ? init : trained, plan, sim.offlineDevices());
    }

    /** rollout.csv (one row per device) and the rollout's part of the summary. */
    private void writeRollout(SimulatedRollout.Result r) throws java.io.IOException {
        io.tinyfed.coordinator.rollout.Rollout.State s = r.state();
        StringBuilder csv = new StringBuilder("device,wave,step,serving_version,shadow_loss,previous_loss,loss_ratio,"
                + "personalisation_gain,reason\n");
        for (io.tinyfed.coordinator.rollout.Rollout.Device d : s.devices()) {
            csv.append(String.format(Locale.ROOT, "%s,%d,%s,%s,%s,%s,%s,%s,\"%s\"%n", d.id(), d.wave() + 1, d.step(),
                    d.servingVersion() < 0 ? "" : String.valueOf(d.servingVersion()), num(d.candidateLoss()),
                    num(d.previousLoss()), num(d.lossRatio()), num(d.personalisationGain()), d.reason().replace("\"", "'")));
        }
        Files.writeString(out.resolve("rollout.csv"), csv.toString());
        boolean mqtt = "mqtt".equals(transport);
        console.printf(Locale.ROOT, "%nRollout of %s v%d to %d %s (%s; waves %s, shadow %d samples, %d personalisation "
                        + "steps): %s in %.1f %s s%s%n", s.modelId(), s.version(), r.devices(), mqtt ? "gateways over MQTT"
                        : "devices", rollout, s.plan().waves(), s.plan().shadowSamples(), s.plan().personaliseSteps(), s.phase(),
                r.took().toMillis() / 1e3, mqtt ? "wall-clock" : "simulated", s.reason().isEmpty() ? "" : " (" + s.reason() + ")");
        console.printf("  %-5s %8s %10s %18s  %s%n", "wave", "devices", "installed", "median loss ratio", "verdict");
        int start = 0;
        for (io.tinyfed.coordinator.rollout.Rollout.Wave w : s.waves()) {
            console.printf(Locale.ROOT, "  %-5d %8d %10s %18s  %s%n", w.index() + 1, w.end() - start,
                    w.installedFraction() == null ? "-" : String.format(Locale.ROOT, "%.3f", w.installedFraction()),
                    w.medianLossRatio() == null ? "-" : String.format(Locale.ROOT, "%.3f", w.medianLossRatio()),
                    w.verdict() == null ? "not opened" : w.verdict());
            start = w.end();
        }
        console.printf(Locale.ROOT, "  %-44s %12.3f%n", "fraction serving the version at the end", r.completedFraction());
        console.printf(Locale.ROOT, "  %-44s %12.3f%n", "fraction that ever served it", r.exposureFraction());
        console.printf("  %-44s %12d%n", "devices rolled back", r.rolledBack());
        console.printf(Locale.ROOT, "  %-44s %12.3f%n", "median personalisation gain", s.medianPersonalisationGain());
        console.printf("  files: %s (rollout.csv)%n", out);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6f", v);
    }

    /** The last run's rollout; null without --rollout. */
    SimulatedRollout.Result rolloutResult() {
        return rolloutResult;
    }

    private io.tinyfed.coordinator.rollout.RolloutPlan plan;
    private SimulatedRollout.Result rolloutResult;

    /** Adaptation steps of the adaptation-curve plot. */
    private static final int[] CURVE_STEPS = {0, 1, 2, 4, 8, 16, 32};
    private Model finalModel;
    private double[][] curves;

    private io.tinyfed.core.Quarantine quarantine() {
        return quarantineRatio > 0 ? new io.tinyfed.core.Quarantine(quarantineRatio, quarantineStrikes) : null;
    }

    private static Row row(RoundEngine.RoundSummary s, int deviceUpdates, double adapted) {
        int rejected = s.rejected().values().stream().mapToInt(Integer::intValue).sum();
        return new Row(s.round(), s.selected().size(), s.accepted().size(), deviceUpdates, rejected, s.stragglers().size(),
                s.meanLossBefore(), s.meanLossAfter(), adapted);
    }

    /** How new devices adapt in the evaluation: the family's protocol, re-fitting the personal layers first if any. */
    private TaskFamily.Protocol evaluated(TaskFamily fam) {
        return fam.protocol().withPersonalLayers(roundOptions.personalLayers(spec.commandLine()));
    }

    private double score(TaskFamily fam, Model model, List<TaskFamily.Task> heldOut) {
        return Adaptation.meanAndInterval(Adaptation.scores(fam, model, heldOut, evaluated(fam), seed))[0];
    }

    private static <K extends Enum<K>> Map<String, Long> names(Map<K, Long> counts) {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k.name(), v));
        return out;
    }

    /** Updates the coordinator refused in the last run, by reason. */
    Map<String, Long> rejectedByReason() {
        return rejectedByReason;
    }

    /** Gateway disconnects in the last mqtt run. */
    int disconnects() {
        return disconnects;
    }

    /** The answer times and availability of a run on the simulated clock. */
    private InProcessSimulation.Timing timing() {
        try {
            return new InProcessSimulation.Timing(Duration.ofNanos((long) (answerTime * 1e9)), answerSpread, slowFraction,
                    slowFactor, availability, Duration.ofNanos((long) (availabilityCycle * 1e9)));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--answer-time, --answer-spread, "
                    + "--slow-fraction, --slow-factor, --availability, --availability-cycle: " + e.getMessage());
        }
    }

    /** Payload bytes per update in the last run, where measured (mqtt with gateways, or --uplink-top); else NaN. */
    double uplinkBytesPerUpdate() {
        return uplinkBytesPerUpdate;
    }

    /** Bytes a device received per model version in the last inproc run (NaN: not measured). */
    double downlinkBytesPerVersion() {
        return downlinkBytesPerVersion;
    }

    /** Simulated seconds of the last run on the simulated clock (NaN: rounds off the clock). */
    double simulatedSeconds() {
        return simulatedSeconds;
    }

    /** Device updates the gateways refused in the last mqtt run, by reason (empty for inproc). */
    Map<String, Long> refusedAtGateways() {
        return refusedAtGateways;
    }

    private Map<String, Long> rejectedByReason = Map.of();
    private Map<String, Long> refusedAtGateways = Map.of();
    private String brokerUri;
    private int disconnects;
    private double startupSeconds;
    /** Payload bytes per update the coordinator received when they were measured (NaN: not measured). */
    private double uplinkBytesPerUpdate = Double.NaN;
    /** Simulated seconds of a run on the simulated clock (NaN: rounds off the clock). */
    private double simulatedSeconds = Double.NaN;
    /** Bytes a device received per model version, full snapshots and deltas (inproc; NaN: not measured). */
    private double downlinkBytesPerVersion = Double.NaN;
    private String metric = "adapted_mse";
    private double randomInit;

    private String metricLabel() {
        return metric.equals("adapted_mse") ? "adapted MSE" : "adapted accuracy";
    }

    private void plot(List<Row> rows) throws Exception {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (Row r : rows) {
            if (!Double.isNaN(r.adapted())) {
                x.add((double) r.round());
                y.add(r.adapted());
            }
        }
        XYChart chart = new XYChartBuilder().width(900).height(520)
                .title("Simulated fleet (" + transport + "): " + metricLabel() + " on held-out " + family + " tasks")
                .xAxisTitle("round").yAxisTitle(metricLabel() + " of new devices").build();
        if (!x.isEmpty()) {
            chart.addSeries("federated Reptile", x, y);
        }
        chart.addSeries("random init", List.of(1.0, (double) rounds), List.of(randomInit, randomInit));
        BitmapEncoder.saveBitmap(chart, out.resolve(metric.replace('_', '-') + ".png").toString(),
                BitmapEncoder.BitmapFormat.PNG);

        XYChart loss = new XYChartBuilder().width(900).height(520).title("Devices' mean local loss per round (" + family + ")")
                .xAxisTitle("round").yAxisTitle("loss on the devices' own samples").build();
        double[] r = rows.stream().mapToDouble(Row::round).toArray();
        if (r.length > 0) {
            loss.addSeries("before adapting the meta-model", r, rows.stream().mapToDouble(Row::lossBefore).toArray());
            loss.addSeries("after the inner steps", r, rows.stream().mapToDouble(Row::lossAfter).toArray());
        }
        BitmapEncoder.saveBitmap(loss, out.resolve("loss.png").toString(), BitmapEncoder.BitmapFormat.PNG);

        XYChart curve = new XYChartBuilder().width(900).height(520).title("Adaptation of new devices (" + family + ")")
                .xAxisTitle("adaptation steps").yAxisTitle(metricLabel() + " on held-out tasks").build();
        double[] steps = java.util.Arrays.stream(CURVE_STEPS).asDoubleStream().toArray();
        curve.addSeries("final meta-model", steps, curves[0]);
        curve.addSeries("random init", steps, curves[1]);
        BitmapEncoder.saveBitmap(curve, out.resolve("adaptation.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private void summary(List<Row> rows, double seconds) {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        Row last = rows.isEmpty() ? null : rows.get(rows.size() - 1);
        int accepted = rows.stream().mapToInt(Row::accepted).sum();
        int deviceUpdates = rows.stream().mapToInt(Row::deviceUpdates).sum();
        int stragglers = rows.stream().mapToInt(Row::stragglers).sum();
        boolean mqtt = "mqtt".equals(transport);
        console.printf("%nSimulated %d %s devices (%s)%s, %d rounds of %d %s, dropout %.2f, malicious %.2f (%s), "
                        + "latency %.1f s, disconnect %.2f, aggregation %s, seed %d%n", devices, family, String.join("+", profiles),
                !mqtt ? " in process" : gateways == 0 ? " as agents over MQTT (" + brokerUri + ")"
                        : " behind " + gateways + " gateways over MQTT (" + brokerUri + ")", rows.size(), perRound,
                mqtt && gateways > 0 ? "gateways x " + perGateway + " devices" : "devices", dropout, malicious, attack, latency, disconnect,
                aggregation, seed);
        console.printf("  %-44s %12s%n", "figure", "value");
        console.printf(Locale.ROOT, "  %-44s %12.3f%n", metricLabel() + ", final meta-model", last == null ? Double.NaN
                : last.adapted());
        console.printf(Locale.ROOT, "  %-44s %12.3f%n", metricLabel() + ", random init", randomInit);
        boolean viaGateways = mqtt && gateways > 0;
        console.printf("  %-44s %12d%n", viaGateways ? "gateway updates aggregated" : "updates aggregated", accepted);
        if (viaGateways) {
            console.printf("  %-44s %12d%n", "device updates inside them", deviceUpdates);
            console.printf("  %-44s %12s%n", "device updates refused at gateways", refusedAtGateways.isEmpty() ? "none"
                    : refusedAtGateways);
        }
        if (!Double.isNaN(uplinkBytesPerUpdate)) {
            console.printf(Locale.ROOT, "  %-44s %,12.0f%n", (viaGateways ? "gateway " : "") + "update payload, B per update",
                    uplinkBytesPerUpdate);
        }
        if (!Double.isNaN(downlinkBytesPerVersion)) {
            console.printf(Locale.ROOT, "  %-44s %,12.0f%n", "model version received, B per device", downlinkBytesPerVersion);
        }
        console.printf("  %-44s %12d%n", "stragglers (dropped out, late or refused)", stragglers);
        if (mqtt && disconnect > 0) {
            console.printf("  %-44s %12d%n", "gateway disconnects", disconnects);
        }
        console.printf("  %-44s %12s%n", "updates refused by the coordinator", rejectedByReason.isEmpty() ? "none"
                : rejectedByReason);
        if (mqtt) {
            console.printf(Locale.ROOT, "  %-44s %12.1f%n", "start-up until every client was online, s", startupSeconds);
        }
        if (!Double.isNaN(simulatedSeconds)) {
            console.printf(Locale.ROOT, "  %-44s %12.1f%n", "simulated time, s", simulatedSeconds);
        }
        console.printf(Locale.ROOT, "  %-44s %12.1f%n", "wall time, s", seconds);
        console.printf(Locale.ROOT, "  %-44s %12.1f%n", "peak heap, MiB", peak / 1048576.0);
        StringBuilder header = new StringBuilder(String.format("  %-26s", "adaptation steps"));
        StringBuilder meta = new StringBuilder(String.format("  %-26s", "  final meta-model"));
        StringBuilder rnd = new StringBuilder(String.format("  %-26s", "  random init"));
        for (int k = 0; k < CURVE_STEPS.length; k++) {
            header.append(String.format("%7d", CURVE_STEPS[k]));
            meta.append(String.format(Locale.ROOT, "%7.3f", curves[0][k]));
            rnd.append(String.format(Locale.ROOT, "%7.3f", curves[1][k]));
        }
        console.printf("%s%n%s%n%s%n", header, meta, rnd);
        console.printf("  files: %s (rounds.csv, %s.png, loss.png, adaptation.png)%n", out, metric.replace('_', '-'));
    }

    public static void main(String[] args) {
        io.tinyfed.coordinator.Logging.configure();
        System.exit(io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new SimulateCommand())).execute(args));
    }
}
