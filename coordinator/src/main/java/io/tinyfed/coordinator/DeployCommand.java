package io.tinyfed.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tinyfed.coordinator.rollout.RolloutPlan;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tinyfed deploy create|status|pause|resume|abort|rollback}: rollouts of a running
 * coordinator, through its HTTP API (state changes with the API's bearer token).
 */
@Command(name = "deploy", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Roll a model version out to the fleet in "
        + "gated waves, watch it, pause, resume, abort or roll it back (through a running coordinator's HTTP API).",
        subcommands = {DeployCommand.Create.class, DeployCommand.Status.class, DeployCommand.Pause.class,
                DeployCommand.Resume.class, DeployCommand.Abort.class, DeployCommand.Rollback.class})
public final class DeployCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: create, status, pause, resume, "
                + "abort or rollback");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Start a rollout of a model version.")
    static final class Create implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions api = new ApiOptions();

        @Option(names = "--model-version", defaultValue = "latest", description = "The model version to roll out: a "
                + "number, or latest (default: ${DEFAULT-VALUE}).")
        String version;

        @CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
        Target target;

        static final class Target {
            @Option(names = "--devices", split = ",", description = "Device ids.")
            List<String> devices;

            @Option(names = "--fleet", description = "Every device the coordinator knows.")
            boolean fleet;

            @Option(names = "--sparql-file", description = "A SPARQL SELECT ?device query over the registry.")
            Path sparql;
        }

        @Option(names = "--id", description = "Rollout id (default: generated from the time and version).")
        String id;

        @CommandLine.Mixin
        PlanOptions planOptions;

        @Option(names = "--seed", description = "Seed of the wave order (default: from the rollout id).")
        Long seed;

        @Option(names = "--watch", description = "Follow the rollout on the terminal until it ends.")
        boolean watch;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ObjectNode body = JSON.createObjectNode();
            if (id != null) {
                body.put("id", id);
            }
            if (!version.equals("latest")) {
                try {
                    body.put("version", Long.parseLong(version));
                } catch (NumberFormatException e) {
                    throw usage("--model-version " + version + ": a version number or latest");
                }
            }
            if (target.devices != null) {
                body.putArray("devices").addAll(target.devices.stream().map(JSON.getNodeFactory()::textNode).toList());
            }
            if (target.fleet) {
                body.put("fleet", true);
            }
            if (target.sparql != null) {
                if (!Files.isReadable(target.sparql)) {
                    throw usage("--sparql-file " + target.sparql + " is not a readable file");
                }
                body.put("sparql", Files.readString(target.sparql));
            }
            RolloutPlan plan = planOptions.plan(spec.commandLine());
            var w = body.putArray("waves");
            plan.waves().forEach(w::add);
            body.put("waveTimeout", String.format(Locale.ROOT, "%.3fs", plan.waveTimeout().toMillis() / 1000.0));
            body.put("minSuccess", plan.minSuccess());
            body.put("maxLossRatio", plan.maxLossRatio());
            body.put("shadowSamples", plan.shadowSamples());
            body.put("personaliseSteps", plan.personaliseSteps());
            body.put("personaliseLearningRate", plan.personaliseLearningRate());
            if (seed != null) {
                body.put("seed", seed);
            }
            JsonNode r = api.post("/api/rollouts", JSON.writeValueAsString(body));
            java.io.PrintWriter out = spec.commandLine().getOut();
            out.println(summary(r));
            for (JsonNode d : r.path("decisions")) {
                if (d.path("text").asText().startsWith("excluded ")) {
                    out.println("  " + d.path("text").asText());
                }
            }
            out.flush();
            return watch ? Status.follow(api, r.path("id").asText(), out) : 0;
        }

        private CommandLine.ParameterException usage(String message) {
            return new CommandLine.ParameterException(spec.commandLine(), message);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Every rollout, or one with its waves, "
            + "devices and decisions.")
    static final class Status implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions api = new ApiOptions();

        @Parameters(arity = "0..1", paramLabel = "ROLLOUT", description = "A rollout id (default: all, one line each).")
        String id;

        @Option(names = "--watch", description = "Follow the rollout until it ends.")
        boolean watch;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            java.io.PrintWriter out = spec.commandLine().getOut();
            if (id == null) {
                JsonNode all = api.get("/api/rollouts");
                if (all.isEmpty()) {
                    out.println("no rollouts");
                }
                for (JsonNode r : all) {
                    out.println(summary(r));
                }
                return 0;
            }
            if (watch) {
                return follow(api, id, out);
            }
            JsonNode r = api.get("/api/rollouts/" + id);
            out.println(summary(r));
            for (JsonNode w : r.path("waves")) {
                out.printf("  wave %d: %d devices, %s%n", w.path("wave").asInt(), w.path("devices").asInt(),
                        absent(w.path("verdict")) ? (absent(w.path("opened")) ? "not opened" : "open until "
                                + w.path("deadline").asText()) : w.path("verdict").asText());
            }
            out.printf("  %-20s %4s %-14s %8s %10s %10s %7s  %s%n", "device", "wave", "step", "serving", "shadow",
                    "previous", "ratio", "reason");
            for (JsonNode d : r.path("devices")) {
                out.printf(Locale.ROOT, "  %-20s %4d %-14s %8s %10s %10s %7s  %s%n", d.path("id").asText(),
                        d.path("wave").asInt(), d.path("step").asText(), text(d.path("servingVersion"), "v"),
                        number(d.path("shadowLoss")), number(d.path("previousLoss")), number(d.path("lossRatio")),
                        d.path("reason").asText());
            }
            for (JsonNode d : r.path("decisions")) {
                out.println("  " + d.path("at").asText() + "  " + d.path("text").asText());
            }
            return 0;
        }

        /** Prints a progress line whenever the rollout changes, until it is no longer running; 0 if it succeeded. */
        static int follow(ApiOptions api, String id, java.io.PrintWriter out) throws Exception {
            String last = "";
            int decisions = 0;
            while (true) {
                JsonNode r = api.get("/api/rollouts/" + id);
                JsonNode all = r.path("decisions");
                for (int i = decisions; i < all.size(); i++) {
                    out.println("  " + all.get(i).path("text").asText());
                }
                decisions = all.size();
                String line = summary(r);
                if (!line.equals(last)) {
                    out.println(line);
                    last = line;
                }
                String phase = r.path("phase").asText();
                out.flush();
                if (!phase.equals("RUNNING") && !phase.equals("PAUSED")) {
                    return phase.equals("SUCCEEDED") ? 0 : 1;
                }
                Thread.sleep(1000);
            }
        }
    }

    /** The subcommands that change a rollout's phase. */
    abstract static class Transition implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions api = new ApiOptions();

        @Parameters(paramLabel = "ROLLOUT", description = "The rollout id.")
        String id;

        abstract String action();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            spec.commandLine().getOut().println(summary(api.post("/api/rollouts/" + id + "/" + action(), "")));
            return 0;
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Pause a running rollout (no wave opens, "
            + "the open wave's clock stops).")
    static final class Pause extends Transition {
        String action() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Resume a paused rollout.")
    static final class Resume extends Transition {
        String action() {
            return "resume";
        }
    }

    @Command(name = "abort", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Stop a rollout; devices keep what they serve.")
    static final class Abort extends Transition {
        String action() {
            return "abort";
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Return every device that installed the "
            + "rollout's version to the version it served before.")
    static final class Rollback extends Transition {
        String action() {
            return "rollback";
        }
    }

    /** One line: id, version, phase, wave, device counts, and the reason when it stopped. */
    static String summary(JsonNode r) {
        List<String> counts = new ArrayList<>();
        r.path("counts").fields().forEachRemaining(e -> counts.add(e.getKey().toLowerCase(Locale.ROOT) + " "
                + e.getValue().asInt()));
        String reason = r.path("reason").asText();
        return String.format("%s: %s v%d %s, wave %d of %d, %s%s", r.path("id").asText(), r.path("modelId").asText(),
                r.path("version").asLong(), r.path("phase").asText().toLowerCase(Locale.ROOT), r.path("currentWave").asInt(),
                r.path("waves").size(), String.join(", ", counts), reason.isEmpty() ? "" : " (" + reason + ")");
    }

    private static boolean absent(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode();
    }

    private static String text(JsonNode n, String prefix) {
        return n == null || absent(n) ? "-" : prefix + n.asText();
    }

    private static String number(JsonNode n) {
        return n == null || absent(n) ? "-" : String.format(Locale.ROOT, "%.4f", n.asDouble());
    }

    static CommandLine commandLine() {
        return io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new DeployCommand()));
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
