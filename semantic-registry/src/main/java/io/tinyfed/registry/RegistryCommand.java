package io.tinyfed.registry;

import io.tinyfed.registry.internal.Resources;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./tinyfed registry serve|query|import|validate}: the registry from the command line, on the
 * embedded TDB2 store ({@code --dir}) or any SPARQL 1.1 endpoint ({@code --endpoint}).
 */
@Command(name = "registry", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
        description = "The semantic registry of models and devices (Apache Jena: TDB2, SHACL, SPARQL).",
        subcommands = {RegistryCommand.Serve.class, RegistryCommand.QueryCmd.class, RegistryCommand.ImportCmd.class,
                RegistryCommand.Validate.class, RegistryCommand.Remove.class, RegistryCommand.MatchCmd.class})
public final class RegistryCommand {
    /** Default store directory, shared with {@code ./tinyfed coordinator --store tinyfed-store}. */
    static final String DEFAULT_DIR = "tinyfed-store/registry";

    /** Where the registry is: a TDB2 directory (default) or a remote endpoint. */
    static final class Target {
        @Option(names = "--dir", description = "TDB2 directory (default: " + DEFAULT_DIR + ").")
        Path dir;

        @Option(names = "--endpoint", description = "Remote SPARQL dataset URL, e.g. http://127.0.0.1:3030/tinyfed "
                + "(queries at URL/query, updates at URL/update); with --update-endpoint, the query endpoint itself.")
        String endpoint;

        @Option(names = "--update-endpoint", description = "The remote store's update endpoint, for stores that do not "
                + "follow the dataset convention (GraphDB: --endpoint http://HOST:7200/repositories/ID "
                + "--update-endpoint http://HOST:7200/repositories/ID/statements).")
        String updateEndpoint;

        @Option(names = "--user", description = "User for updates on a remote endpoint (default: " + SparqlEndpoint.ADMIN + ").")
        String user;

        @Option(names = "--password-file", description = "File holding the remote endpoint's update password.")
        Path passwordFile;

        Registry open() throws Exception {
            if (endpoint != null) {
                char[] secret = passwordFile == null ? null : Files.readString(passwordFile, StandardCharsets.UTF_8).trim().toCharArray();
                return Registry.remote(endpoint, updateEndpoint, secret == null ? null : user == null ? SparqlEndpoint.ADMIN
                        : user, secret);
            }
            if (updateEndpoint != null) {
                throw new RegistryException("--update-endpoint goes with --endpoint (the query endpoint)");
            }
            Path d = dir == null ? Path.of(DEFAULT_DIR) : dir;
            try {
                return Registry.embedded(d);
            } catch (RegistryInUseException e) {
                throw new RegistryException(e.getMessage() + ", e.g. --endpoint http://127.0.0.1:3030/"
                        + SparqlEndpoint.DATASET, e);
            }
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Serve the embedded registry as a SPARQL 1.1 endpoint (Fuseki).")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = DEFAULT_DIR, description = "TDB2 directory (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--port", defaultValue = "3030", description = "HTTP port (0: free; default: ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--all-interfaces", description = "Listen on all interfaces, not only 127.0.0.1.")
        boolean allInterfaces;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Registry registry = Registry.embedded(dir);
            Path secretFile = dir.resolveSibling("registry-admin.secret");
            SparqlEndpoint endpoint;
            try {
                endpoint = SparqlEndpoint.builder().registry(registry).port(port).allInterfaces(allInterfaces)
                        .adminSecretFile(secretFile).start();
            } catch (RuntimeException e) {
                registry.close();
                if (io.tinyfed.protocol.cli.Cli.bindFailure(e).isPresent()) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--port " + port + ": the port is in "
                            + "use; choose another with --port (0: a free one)");
                }
                throw e;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                endpoint.close();
                registry.close();
            }, "tinyfed-registry-shutdown"));
            System.out.printf("registry %s: SPARQL query %s (open, read-only), update %s/update (user %s, password in %s)%n",
                    dir.toAbsolutePath(), endpoint.queryUrl(), endpoint.datasetUrl(), SparqlEndpoint.ADMIN, secretFile.toAbsolutePath());
            System.out.printf("SPARQL console and matchmaking in a browser: %s%n", endpoint.consoleUrl());
            new CountDownLatch(1).await();
            return 0;
        }
    }

    @Command(name = "query", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Run a SPARQL SELECT query and print the results.")
    static final class QueryCmd implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        static final class Source {
            @Parameters(arity = "1", paramLabel = "FILE.rq", description = "Query file.")
            Path file;

            @Option(names = "--sparql", description = "Query text.")
            String text;

            @Option(names = "--resource", description = "A query shipped with the registry: inventory.rq, lineage.rq, "
                    + "deployed-where.rq, devices-older-than.rq, refused-deploys.rq, ...")
            String resource;
        }

        @CommandLine.Mixin
        Target target = new Target();

        @Option(names = "--format", defaultValue = "table", description = "table, json, csv, tsv or xml (default: "
                + "${DEFAULT-VALUE}); for CONSTRUCT and DESCRIBE: table or turtle, json (JSON-LD), xml (RDF/XML) or nt.")
        String format;

        @Option(names = "--param", description = "NAME=VALUE: a value for the query's ?NAME (an integer, a decimal, an "
                + "http(s) IRI or a string), e.g. --param olderThan=5 for devices-older-than.rq.")
        java.util.Map<String, String> params = new java.util.LinkedHashMap<>();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            String sparql = source.text != null ? source.text : source.resource != null ? Resources.queryText(source.resource)
                    : Files.readString(source.file, StandardCharsets.UTF_8);
            try {
                sparql = QueryParameters.bind(sparql, params);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            org.apache.jena.query.Query parsed;
            try {
                parsed = org.apache.jena.query.QueryFactory.create(sparql);
            } catch (RuntimeException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "not a SPARQL query: "
                        + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            }
            PrintStream out = System.out;
            try (Registry registry = target.open()) {
                if (parsed.isAskType()) {
                    boolean answer = registry.ask(sparql);
                    switch (format) {
                        case "json" -> org.apache.jena.query.ResultSetFormatter.outputAsJSON(out, answer);
                        case "xml" -> org.apache.jena.query.ResultSetFormatter.outputAsXML(out, answer);
                        case "csv" -> org.apache.jena.query.ResultSetFormatter.outputAsCSV(out, answer);
                        case "tsv" -> org.apache.jena.query.ResultSetFormatter.outputAsTSV(out, answer);
                        default -> out.println(answer ? "yes" : "no");
                    }
                } else if (parsed.isConstructType() || parsed.isDescribeType()) {
                    org.apache.jena.riot.RDFFormat rdf = switch (format) {
                        case "table", "turtle" -> org.apache.jena.riot.RDFFormat.TURTLE_PRETTY;
                        case "json" -> org.apache.jena.riot.RDFFormat.JSONLD;
                        case "xml" -> org.apache.jena.riot.RDFFormat.RDFXML;
                        case "nt" -> org.apache.jena.riot.RDFFormat.NTRIPLES;
                        default -> throw new CommandLine.ParameterException(spec.commandLine(), "--format " + format
                                + ": a " + parsed.queryType() + " query gives a graph: table or turtle, json (JSON-LD), "
                                + "xml (RDF/XML) or nt");
                    };
                    org.apache.jena.riot.RDFDataMgr.write(out, registry.construct(sparql), rdf);
                } else {
                    registry.select(sparql).write(out, format);
                }
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "match", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
            description = "Which devices can run (or train) a model, or which models fit a device; --explain also lists "
                    + "the devices a model excludes, with what each misses.")
    static final class MatchCmd implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Subject subject;

        static final class Subject {
            @Option(names = "--model", paramLabel = "IRI|ID", description = "A model: its IRI (an imported description, "
                    + "a version), or a model id whose --model-version is matched.")
            String model;

            @Option(names = "--device", paramLabel = "IRI|ID", description = "A device: its IRI, or a device id of --fleet.")
            String device;
        }

        @Option(names = "--model-version", paramLabel = "N|latest", defaultValue = "latest",
                description = "With a model id: which version (default: ${DEFAULT-VALUE}).")
        String version;

        @Option(names = "--fleet", defaultValue = "default", description = "With a device id: its fleet (default: "
                + "${DEFAULT-VALUE}).")
        String fleet;

        @Option(names = "--training", description = "Match for on-device training instead of inference.")
        boolean training;

        @Option(names = "--explain", description = "With --model: also list every excluded device and why.")
        boolean explain;

        @Option(names = "--format", defaultValue = "table", description = "table, json, csv, tsv or xml (default: ${DEFAULT-VALUE}).")
        String format;

        @CommandLine.Mixin
        Target target = new Target();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (!java.util.List.of("table", "json", "csv", "tsv", "xml").contains(format)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--format " + format + ": one of table, json, "
                        + "csv, tsv, xml");
            }
            if (explain && subject.device != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--explain lists the devices a --model excludes");
            }
            Purpose purpose = training ? Purpose.TRAINING : Purpose.INFERENCE;
            try (Registry registry = target.open()) {
                QueryTable table;
                if (subject.model != null) {
                    String model = modelIri(registry);
                    List<java.util.Map<String, String>> rows = new java.util.ArrayList<>();
                    for (DeviceMatch m : registry.devicesFor(model, purpose)) {
                        rows.add(row(m.deviceIri(), "yes", m.format(), m.arenaBytes(), m.arenaEstimated(), m.ramBytes(),
                                m.trainableLayers(), null));
                    }
                    if (explain) {
                        for (Exclusion e : registry.exclusions(model, purpose)) {
                            rows.add(row(e.deviceIri(), "no", null, null, null, null, null, String.join("; ", e.reasons())));
                        }
                    }
                    table = QueryTable.of(List.of("device", "match", "format", "arenaBytes", "arenaEstimated", "ramBytes",
                            "trainableLayers", "why"), rows);
                } else {
                    String device = subject.device.contains(":") ? subject.device : Iris.device(fleet, subject.device);
                    List<java.util.Map<String, String>> rows = new java.util.ArrayList<>();
                    for (ModelMatch m : registry.modelsFor(device, purpose)) {
                        java.util.Map<String, String> row = new java.util.LinkedHashMap<>();
                        row.put("model", m.modelIri());
                        row.put("name", m.name());
                        row.put("format", m.format());
                        row.put("arenaBytes", String.valueOf(m.arenaBytes()));
                        row.put("arenaEstimated", String.valueOf(m.arenaEstimated()));
                        row.put("trainableLayers", m.trainableLayers() == null ? null : String.valueOf(m.trainableLayers()));
                        rows.add(row);
                    }
                    table = QueryTable.of(List.of("model", "name", "format", "arenaBytes", "arenaEstimated", "trainableLayers"),
                            rows);
                }
                table.write(System.out, format);
                System.out.flush();
            }
            return 0;
        }

        private static java.util.Map<String, String> row(String device, String match, String format, Long arena,
                                                         Boolean estimated, Long ram, Integer layers, String why) {
            java.util.Map<String, String> row = new java.util.LinkedHashMap<>();
            row.put("device", device);
            row.put("match", match);
            row.put("format", format);
            row.put("arenaBytes", arena == null ? null : String.valueOf(arena));
            row.put("arenaEstimated", estimated == null ? null : String.valueOf(estimated));
            row.put("ramBytes", ram == null ? null : String.valueOf(ram));
            row.put("trainableLayers", layers == null ? null : String.valueOf(layers));
            row.put("why", why);
            return row;
        }

        /** The model's IRI: given, or the version of a model id ({@code --version N|latest}). */
        private String modelIri(Registry registry) {
            if (subject.model.contains(":")) {
                return subject.model;
            }
            java.util.OptionalLong number = io.tinyfed.protocol.cli.Cli.modelVersion(spec, "--model-version", version);
            if (number.isPresent()) {
                return Iris.version(subject.model, number.getAsLong());
            }
            java.util.OptionalLong n = registry.latestVersion(subject.model);
            if (n.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--model " + subject.model + ": no versions "
                        + "of that model id in the registry (give a model IRI for an imported description)");
            }
            return Iris.version(subject.model, n.getAsLong());
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
            description = "Forget devices: named ones, or those offline and not seen for a while (their description, "
                    + "refusal and deployment records; rounds and lineage keep naming them).")
    static final class Remove implements Callable<Integer> {
        @Parameters(arity = "0..*", paramLabel = "DEVICE", description = "Device ids to remove.")
        List<String> devices = new java.util.ArrayList<>();

        @Option(names = "--fleet", defaultValue = "default", description = "Fleet id (default: ${DEFAULT-VALUE}).")
        String fleet;

        @Option(names = "--not-seen-for", paramLabel = "DURATION", description = "Also remove every offline device last "
                + "seen longer ago than this, e.g. 30d, 12h, 45m.")
        String notSeenFor;

        @Option(names = "--dry-run", description = "List what would be removed; change nothing.")
        boolean dryRun;

        @CommandLine.Mixin
        Target target = new Target();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            java.time.Duration age = notSeenFor == null ? null : age(notSeenFor);
            if (devices.isEmpty() && age == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "name the devices to remove, or give "
                        + "--not-seen-for DURATION");
            }
            try (Registry registry = target.open()) {
                java.util.LinkedHashSet<String> chosen = new java.util.LinkedHashSet<>(devices);
                if (age != null) {
                    chosen.addAll(registry.devicesNotSeenSince(fleet, java.time.Instant.now().minus(age)));
                }
                if (dryRun) {
                    System.out.printf("would remove %d devices of fleet %s: %s%n", chosen.size(), fleet, String.join(" ", chosen));
                    return 0;
                }
                List<String> removed = registry.removeDevices(fleet, List.copyOf(chosen));
                chosen.removeAll(removed);
                System.out.printf("removed %d devices of fleet %s%s%n", removed.size(), fleet,
                        removed.isEmpty() ? "" : ": " + String.join(" ", removed));
                if (!chosen.isEmpty()) {
                    System.err.printf("tinyfed registry remove: not registered in fleet %s: %s%n", fleet, String.join(" ", chosen));
                    return 1;
                }
            }
            return 0;
        }

        private java.time.Duration age(String text) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})([dhms])").matcher(text.strip());
            if (!m.matches()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--not-seen-for " + text + ": a number with a "
                        + "unit, d (days), h, m or s, e.g. 30d");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "d" -> java.time.Duration.ofDays(n);
                case "h" -> java.time.Duration.ofHours(n);
                case "m" -> java.time.Duration.ofMinutes(n);
                default -> java.time.Duration.ofSeconds(n);
            };
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class,
            description = "Import descriptions: Turtle/JSON-LD/RDF-XML (native, TinyML nnet:, S3N, SOSA), WoT TD (.td.json), .tflite.")
    static final class ImportCmd implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE")
        List<Path> files;

        @CommandLine.Mixin
        Target target = new Target();

        @CommandLine.Mixin
        Reading reading = new Reading();

        @Override
        public Integer call() throws Exception {
            ImportOptions options = reading.options();
            try (Registry registry = target.open()) {
                return eachFile(files, "imported", f -> registry.importFile(f, options));
            }
        }
    }

    @Command(name = "validate", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Validate description files without writing (exit 1 if any is refused).")
    static final class Validate implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE")
        List<Path> files;

        @CommandLine.Mixin
        Reading reading = new Reading();

        @Override
        public Integer call() {
            ImportOptions options = reading.options();
            try (Registry scratch = Registry.inMemory()) {
                return eachFile(files, "valid", f -> scratch.validateFile(f, options));
            }
        }
    }

    /** How the files of one source are read ({@code import} and {@code validate}). */
    static final class Reading {
        @Option(names = "--kilobyte", defaultValue = "1024", paramLabel = "1024|1000", description = "Bytes in a "
                + "kilobyte in these files' memory figures: 1024 (datasheets; default) or 1000 (generators that write "
                + "size/1000). Each import reports the one it applied.")
        int kilobyte;

        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec spec;

        ImportOptions options() {
            try {
                return new ImportOptions(kilobyte);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--kilobyte " + kilobyte + ": 1024 or 1000");
            }
        }
    }

    /** Applies {@code action} to every file, reporting each; exit code 1 if any was refused. */
    static int eachFile(List<Path> files, String verb, java.util.function.Function<Path, ImportReport> action) {
        int failed = 0;
        for (Path f : files) {
            try {
                print(verb, action.apply(f));
            } catch (RegistryException e) {
                failed++;
                System.err.println(e.getMessage());
            }
        }
        return failed == 0 ? 0 : 1;
    }

    static void print(String verb, ImportReport r) {
        if (r.outcome() == ImportReport.Outcome.DUPLICATE) {
            System.out.printf("skipped %s: byte-identical to %s, imported before into <%s>%n", r.file(), r.duplicateOf(),
                    r.graph());
            return;
        }
        System.out.printf("%s %s: %d triples into <%s>; %d device(s), %d model(s) matchable%n",
                r.outcome() == ImportReport.Outcome.REPLACED ? "replaced" : verb, r.file(), r.triples(),
                r.graph(), r.devices().size(), r.models().size());
        r.devices().forEach(d -> System.out.println("  device " + d));
        r.models().forEach(m -> System.out.println("  model  " + m));
        r.skipped().forEach(s -> System.out.println("  note: " + s));
    }

    /** The command with TinyFed's error handling ({@link io.tinyfed.protocol.cli.Cli#withErrorHandling}). */
    public static CommandLine commandLine() {
        return io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new RegistryCommand()));
    }

    public static void main(String[] args) {
        configureLogging();
        System.exit(commandLine().execute(args));
    }

    /** Selects the registry's logback configuration unless the user chose one; first thing in a registry main. */
    static void configureLogging() {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-tinyfed-registry.xml");
        }
    }
}
