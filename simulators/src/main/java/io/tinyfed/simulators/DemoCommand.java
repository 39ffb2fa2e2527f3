package io.tinyfed.simulators;

import io.tinyfed.simulators.tasks.SineFamily;
import io.tinyfed.simulators.tasks.TaskFamily;
import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.api.HttpApi;
import io.tinyfed.coordinator.broker.EmbeddedBroker;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.registry.QueryTable;
import io.tinyfed.registry.Registry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tinyfed demo}: the main job. A coordinator with the embedded MQTT 5 broker and a
 * simulated fleet of agents (half S16 Cortex-M4 profiles, half F32 gateways, each device one sine
 * task, authenticated with its own credentials) learn the sine family by federated Reptile over
 * real MQTT; then a second coordinator on the same broker runs FedAvg (joint training) on the same
 * fleet for comparison. Ends with the adapted-MSE table on held-out tasks and a PNG plot.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
        description = "Federated Reptile on a simulated fleet over the embedded MQTT broker; prints the result table.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "Fewer rounds (finishes in well under 2 minutes).")
    boolean quick;

    @Option(names = "--devices", defaultValue = "20", description = "Simulated devices (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--per-round", defaultValue = "10", description = "Devices asked per round (default: ${DEFAULT-VALUE}).")
    int perRound;

    @Option(names = "--rounds", description = "Rounds per run (default: 300, --quick 120).")
    Integer rounds;

    @Option(names = "--out", defaultValue = "results/demo", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--broker-port", defaultValue = "0", description = "Embedded broker port on 127.0.0.1 (0: a free one).")
    int brokerPort;

    @Option(names = "--http-port", defaultValue = "0", description = "Coordinator HTTP API port on 127.0.0.1 (0: a free one).")
    int httpPort;

    @Option(names = "--hold", description = "After the demo, keep its coordinator, fleet and dashboard running until "
            + "interrupted (Ctrl-C).")
    boolean hold;

    @Option(names = "--sparql-port", defaultValue = "0", description = "Registry SPARQL endpoint port on 127.0.0.1 (0: a free one).")
    int sparqlPort;

    private final PrintStream console = System.out;

    @Override
    public Integer call() throws Exception {
        System.setProperty("java.awt.headless", "true");
        io.tinyfed.coordinator.Logging.warningsOnly();
        int runRounds = rounds != null ? rounds : (quick ? 120 : 300);
        if (devices < 2 || perRound < 1 || perRound > devices) {
            throw new CommandLine.ParameterException(new CommandLine(this), "need 2+ devices and 1 <= per-round <= devices");
        }
        long started = System.nanoTime();
        Path store = out.resolve("store");
        deleteTree(store);
        Files.createDirectories(out);

        SimulatedFleet fleet = new SimulatedFleet("demo", devices, seed);
        // Devices reach the broker the way a real fleet does: over TLS, each with its own certificate from the
        // fleet's CA (and its password); the plain listener is only the coordinators' loopback.
        Path caDir = store.resolve("ca");
        io.tinyfed.coordinator.broker.FleetCa ca = io.tinyfed.coordinator.broker.FleetCa.init(caDir, "TinyFed demo fleet CA",
                Duration.ofDays(1));
        io.tinyfed.coordinator.broker.FleetCa.Issued brokerCert = ca.issue("broker", List.of("localhost", "127.0.0.1"), true,
                Duration.ofDays(1), caDir, null);
        for (int d = 0; d < devices; d++) {
            ca.issue(SimulatedFleet.deviceId(d), List.of(), false, Duration.ofDays(1), caDir, null);
        }
        EmbeddedBroker.TlsListener tls = new EmbeddedBroker.TlsListener("127.0.0.1", 0, brokerCert.certificate(),
                brokerCert.key(), ca.certificateFile(), EmbeddedBroker.ClientAuth.REQUIRED);
        Model init = Model.initialize(SineFamily.ARCHITECTURE, seed);
        List<SineFamily.Task> evalTasks = SineFamily.tasks(40, seed + 100);
        TaskFamily.Protocol protocol = SineFamily.STANDARD;

        try (Coordinator reptile = Coordinator.builder().fleet("demo").store(store.resolve("reptile")).keys(store)
                .initialModel(init)
                .rounds(settings("sine", 32)).strategy(new ReptileStrategy(1.0, true, runRounds, Selection.count(perRound)))
                .brokerPort(brokerPort).credentials(fleet.credentials()).brokerTls(tls).sparqlPort(sparqlPort)
                .metaEvaluation(SineFamily.evaluator(evalTasks, protocol, seed), Math.max(1, runRounds / 20)).start();
             HttpApi api = HttpApi.start(reptile, "127.0.0.1", httpPort);
             // declared after the coordinator, so closed before it (and its broker): devices sign off cleanly
             SimulatedFleet agents = fleet) {
            console.printf("TinyFed demo: coordinator + embedded MQTT 5 broker on %s + %d devices (%d S16 cortex-m4, %d F32 "
                    + "gateway), %d rounds of %d devices%n", reptile.brokerUri(), devices, (devices + 1) / 2, devices / 2,
                    runRounds, perRound);
            console.printf("devices connect over TLS to %s, each with its own certificate from the demo's fleet CA (%s)%n",
                    reptile.brokerTlsUri().orElseThrow(), ca.certificateFile());
            console.printf("dashboard %s/dashboard/ (live fleet, rounds, registry, rollouts)%n", api.url());
            console.printf("coordinator HTTP API %s/api/fleet, /api/rounds, /health, /prometheus%n", api.url());
            reptile.sparqlUrl().ifPresent(url -> console.printf("registry SPARQL endpoint %s (try ./tinyfed registry query "
                    + "--endpoint %s --resource inventory.rq)%n", url, url.substring(0, url.lastIndexOf('/'))));
            agents.start(reptile.brokerTlsUri().orElseThrow(), reptile.trustFile(), device -> new io.tinyfed.protocol.mqtt
                    .TlsFiles(ca.certificateFile(), caDir.resolve(device + ".crt"), caDir.resolve(device + ".key")));
            awaitFleet(reptile, devices);
            console.printf("%d devices online; federated Reptile running%n", devices);
            runAndReport(reptile, runRounds, "reptile");

            // FedAvg with one local step per round is federated joint training: it minimises the
            // average loss over the devices' tasks (with many local steps FedAvg becomes Reptile with
            // epsilon = 1, so it would not be a different baseline).
            console.println("joint training (FedAvg, 1 local step) on the same fleet for comparison");
            try (Coordinator fedAvg = Coordinator.builder().fleet("demo").store(store.resolve("fedavg")).keys(store)
                    .initialModel(init)
                    .rounds(settings("sine-fedavg", 1)).strategy(ReptileStrategy.fedAvg(runRounds, Selection.count(perRound)))
                    .sparqlPort(-1)
                    .externalBroker(reptile.brokerUri(), EmbeddedBroker.COORDINATOR_USER, reptile.brokerSecret())
                    .metaEvaluation(SineFamily.evaluator(evalTasks, protocol, seed), Math.max(1, runRounds / 20)).start()) {
                awaitFleet(fedAvg, devices);
                runAndReport(fedAvg, runRounds, "fedavg");
                report(reptile, fedAvg, init, runRounds);
            }
            deploy(reptile);
            inventory(reptile);
            if (hold) {
                console.printf(Locale.ROOT, "demo finished in %.1f s; the dashboard stays at %s/dashboard/ until Ctrl-C%n",
                        (System.nanoTime() - started) / 1e9, api.url());
                console.flush();
                new java.util.concurrent.CountDownLatch(1).await();
            }
        }
        console.printf(Locale.ROOT, "demo finished in %.1f s%n", (System.nanoTime() - started) / 1e9);
        return 0;
    }

    /** Inner loop of the devices: {@code steps} full-batch SGD steps at lr 0.02 on their recent 10 samples. */
    private static RoundEngine.Settings settings(String modelId, int steps) {
        return new RoundEngine.Settings(modelId, steps, 0.02f, 10, Duration.ofSeconds(10), 1.0, 1, 1e3, 11);
    }

    private void awaitFleet(Coordinator c, int n) throws InterruptedException {
        if (!c.awaitEligible(n, Duration.ofSeconds(60))) {
            throw new IllegalStateException("only " + c.engine().eligible().size() + " of " + n + " devices came online");
        }
    }

    private void runAndReport(Coordinator c, int runRounds, String name) throws InterruptedException {
        c.startRun(runRounds);
        int shown = 0;
        long end = System.nanoTime() + Duration.ofMinutes(20).toNanos();
        while (System.nanoTime() < end) {
            List<Coordinator.Evaluation> evals = c.evaluations();
            for (; shown < evals.size(); shown++) {
                Coordinator.Evaluation e = evals.get(shown);
                RoundEngine.RoundSummary s = c.engine().history().get(Math.min(c.engine().history().size(), e.round()) - 1);
                console.printf(Locale.ROOT, "  %-8s round %4d/%d  version %4d  accepted %2d/%2d  rejected %d  "
                        + "meta-eval adapted MSE %.3f%n", name, e.round(), runRounds, e.version(), s.accepted().size(),
                        s.selected().size(), s.rejected().values().stream().mapToInt(Integer::intValue).sum(),
                        e.adaptedLoss());
            }
            if (c.engine().history().size() >= runRounds && !c.engine().roundOpen()) {
                break;
            }
            Thread.sleep(200);
        }
        c.stopRun();
    }

    private void report(Coordinator reptile, Coordinator fedAvg, Model init, int runRounds) throws IOException {
        List<SineFamily.Task> heldOut = SineFamily.tasks(200, seed + 1000);
        TaskFamily.Protocol p = SineFamily.STANDARD;
        double[] meta = SineFamily.meanAndInterval(SineFamily.adaptedMse(reptile.engine().currentModel(), heldOut, p, seed));
        double[] joint = SineFamily.meanAndInterval(SineFamily.adaptedMse(fedAvg.engine().currentModel(), heldOut, p, seed));
        double[] random = SineFamily.meanAndInterval(SineFamily.adaptedMse(init, heldOut, p, seed));
        console.printf("%nAdapted MSE on %d held-out sine tasks (%d shots, %d steps, lr %.2f), after %d rounds:%n",
                heldOut.size(), p.shots(), p.steps(), p.learningRate(), runRounds);
        console.printf("  %-34s %10s %10s%n", "initialisation", "MSE", "95% CI");
        console.printf(Locale.ROOT, "  %-34s %10.3f %10.3f%n", "federated Reptile meta-model", meta[0], meta[1]);
        console.printf(Locale.ROOT, "  %-34s %10.3f %10.3f%n", "joint training (FedAvg, 1 step)", joint[0], joint[1]);
        console.printf(Locale.ROOT, "  %-34s %10.3f %10.3f%n", "random init", random[0], random[1]);
        console.printf(Locale.ROOT, "  meta-model vs random init: %.1fx lower MSE%n", random[0] / meta[0]);
        console.printf("  updates refused by reason: reptile %s, fedavg %s%n", reptile.engine().rejectedTotals(),
                fedAvg.engine().rejectedTotals());

        Path csv = out.resolve("meta-eval.csv");
        StringBuilder sb = new StringBuilder("strategy,round,version,adapted_mse\n");
        for (Coordinator.Evaluation e : reptile.evaluations()) {
            sb.append(String.format(Locale.ROOT, "reptile,%d,%d,%.6f%n", e.round(), e.version(), e.adaptedLoss()));
        }
        for (Coordinator.Evaluation e : fedAvg.evaluations()) {
            sb.append(String.format(Locale.ROOT, "fedavg,%d,%d,%.6f%n", e.round(), e.version(), e.adaptedLoss()));
        }
        Files.writeString(csv, sb.toString());
        XYChart chart = new XYChartBuilder().width(900).height(520).title("Meta-evaluation: adapted MSE on held-out sine tasks")
                .xAxisTitle("round").yAxisTitle("adapted MSE (10 shots, 32 steps)").build();
        addSeries(chart, "federated Reptile", reptile.evaluations());
        addSeries(chart, "joint training (FedAvg, 1 local step)", fedAvg.evaluations());
        chart.addSeries("random init", new double[] {1, runRounds}, new double[] {random[0], random[0]});
        Path png = out.resolve("meta-eval.png");
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        console.printf("plot %s, data %s%n", png, csv);
    }

    /**
     * Rolls the trained meta-model out to the fleet in two waves, personalised on each device's own samples and
     * compared in shadow with the version each device served, printing every decision as it is taken, then the
     * registry's answer to "what is deployed where".
     */
    private void deploy(Coordinator c) throws Exception {
        long version = c.engine().currentVersion().version();
        console.printf("%nDeploying meta-model v%d to the fleet in two waves (half, then all): each device adapts it with "
                + "32 steps on its own recent samples, serves it, and compares it on its next 50 live samples with the "
                + "version it served, adapted the same way%n", version);
        io.tinyfed.coordinator.rollout.RolloutPlan plan = new io.tinyfed.coordinator.rollout.RolloutPlan(
                List.of(0.5, 1.0), Duration.ofMinutes(2), 0.95, 1.05, 50, 32, 0.02f);
        String id = "demo-v" + version;
        c.deployments().create(new io.tinyfed.coordinator.Deployments.Request(id, version, List.of(), true, null, plan, seed));
        int shown = 0;
        io.tinyfed.coordinator.rollout.Rollout.State s;
        do {
            Thread.sleep(200);
            s = c.deployments().get(id).orElseThrow();
            for (; shown < s.decisions().size(); shown++) {
                console.printf("  %s%n", s.decisions().get(shown).text());
            }
        } while (s.phase().active());
        if (s.personalisationGainsMeasured() > 0) {
            console.printf(Locale.ROOT, "personalisation: median over %d devices of the shadow MSE of v%d as released / "
                    + "personalised on the device = %.2f%n", s.personalisationGainsMeasured(), version,
                    s.medianPersonalisationGain());
        }
        c.flushDeployments(Duration.ofSeconds(30));
        console.printf("%nWhat is deployed where (SPARQL, deployed-where.rq): the version each device reports serving, "
                + "and the mean shadow MSE of it and of the version served before, on the same 50 live samples%n");
        console.printf("  %-8s %-6s %8s %-6s %-9s %-12s %12s %12s%n", "device", "model", "version", "format", "state",
                "personalised", "shadow MSE", "previous MSE");
        for (Map<String, String> row : c.registry().orElseThrow().selectResource("deployed-where.rq").rows()) {
            console.printf(Locale.ROOT, "  %-8s %-6s %8s %-6s %-9s %-12s %12s %12s%n", row.get("deviceId"),
                    row.get("modelId"), row.get("version"), row.getOrDefault("format", "-"), row.get("state"),
                    row.get("personalised"), mse(row.get("shadowLoss")), mse(row.get("previousLoss")));
        }
    }

    private static String mse(String value) {
        return value == null ? "-" : String.format(Locale.ROOT, "%.4f", Double.parseDouble(value));
    }

    /** Ends the demo with the registry's answer to the inventory query (and the newest versions' lineage). */
    private void inventory(Coordinator c) throws InterruptedException {
        if (c.registry().isEmpty()) {
            return;
        }
        c.flushRegistry(Duration.ofSeconds(30));
        Registry registry = c.registry().get();
        console.printf("%nRegistry inventory (SPARQL, inventory.rq): devices, what they can train, rounds contributed%n");
        console.print(registry.selectResource("inventory.rq"));
        QueryTable lineage = registry.selectResource("lineage.rq");
        console.printf("Lineage of the newest meta-model (PROV-O, lineage.rq): %d versions; newest three:%n", lineage.size());
        for (Map<String, String> row : lineage.rows().subList(0, Math.min(3, lineage.size()))) {
            String loss = row.containsKey("adaptedLoss")
                    ? String.format(Locale.ROOT, "%.3f", Double.parseDouble(row.get("adaptedLoss"))) : "not evaluated";
            console.printf("  version %s <- round %s with %s devices, adapted MSE %s%n", row.get("number"),
                    row.getOrDefault("round", "-"), row.getOrDefault("participants", "-"), loss);
        }
    }

    private static void addSeries(XYChart chart, String name, List<Coordinator.Evaluation> evals) {
        if (evals.isEmpty()) {
            return;
        }
        double[] x = new double[evals.size()];
        double[] y = new double[evals.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = evals.get(i).round();
            y[i] = evals.get(i).adaptedLoss();
        }
        chart.addSeries(name, x, y);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    public static void main(String[] args) {
        io.tinyfed.coordinator.Logging.configure();
        System.exit(io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new DemoCommand())).execute(args));
    }
}
