package io.tinyfed.coordinator;

import io.micronaut.context.env.PropertySourceReader;
import io.tinyfed.protocol.cli.Cli.OptionDefaults;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import picocli.CommandLine;

/**
 * The coordinator's configuration outside its command line, the way Micronaut applications are configured:
 * files read by Micronaut's own property source readers ({@code application.yml}, {@code .yaml},
 * {@code .properties}) named by {@code --config FILE} or by {@code MICRONAUT_CONFIG_FILES} (comma-separated),
 * and environment variables. The keys are the command's long options under {@code tinyfed.coordinator}
 * ({@code tinyfed.coordinator.broker-port: 1884}); the variables are {@code TINYFED_COORDINATOR_} and the option
 * in upper case with {@code _} for {@code -} ({@code TINYFED_COORDINATOR_BROKER_PORT=1884}).
 *
 * <p>Precedence, highest first: flags, environment variables, {@code --config}, {@code MICRONAUT_CONFIG_FILES}
 * (a later file over an earlier one), the built-in defaults. Any other key in a file, an unknown variable with
 * the prefix, or a value of the wrong type is refused with the file or variable and the key.
 */
final class CoordinatorConfig {
    static final String PREFIX = "tinyfed.coordinator.";
    static final String ENV_PREFIX = "TINYFED_COORDINATOR_";
    static final String CONFIG_FILES = "MICRONAUT_CONFIG_FILES";

    private CoordinatorConfig() {
    }

    /** A {@link io.tinyfed.protocol.cli.Cli.DefaultsSource} reading {@code environment}. */
    static io.tinyfed.protocol.cli.Cli.DefaultsSource from(Map<String, String> environment) {
        return (spec, configFile) -> load(spec, configFile, environment);
    }

    static OptionDefaults load(CommandLine.Model.CommandSpec spec, Path configFile, Map<String, String> environment)
            throws OptionDefaults.Invalid {
        Map<String, OptionDefaults.Value> values = new LinkedHashMap<>();
        List<String> files = new ArrayList<>();
        String listed = environment.get(CONFIG_FILES);
        if (listed != null) {
            for (String f : listed.split(",")) {
                if (!f.isBlank()) {
                    files.add(f.strip());
                }
            }
        }
        for (String f : files) {
            readFile(Path.of(f), CONFIG_FILES + " " + f, values);
        }
        if (configFile != null) {
            readFile(configFile, OptionDefaults.OPTION + " " + configFile, values);
        }
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(environment).entrySet()) {
            if (e.getKey().startsWith(ENV_PREFIX)) {
                String option = e.getKey().substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '-');
                values.put(option, new OptionDefaults.Value(e.getKey(), e.getValue().strip(),
                        "environment variable " + e.getKey()));
            }
        }
        return OptionDefaults.of(spec, values, "the keys are " + PREFIX + "OPTION (variables " + ENV_PREFIX
                + "OPTION) for the options");
    }

    private static void readFile(Path file, String source, Map<String, OptionDefaults.Value> values)
            throws OptionDefaults.Invalid {
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        String extension = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
        PropertySourceReader reader = null;
        List<String> known = new ArrayList<>();
        for (PropertySourceReader r : ServiceLoader.load(io.micronaut.context.env.PropertySourceLoader.class,
                CoordinatorConfig.class.getClassLoader())) {
            known.addAll(r.getExtensions());
            if (r.getExtensions().contains(extension)) {
                reader = r;
            }
        }
        if (reader == null) {
            throw new OptionDefaults.Invalid(source + ": not a configuration file the coordinator reads (."
                    + String.join(", .", new java.util.TreeSet<>(known)) + ")");
        }
        Map<String, Object> read;
        try (InputStream in = Files.newInputStream(file)) {
            read = reader.read(name, in);
        } catch (IOException | RuntimeException e) {
            if (e instanceof IOException io) {
                throw OptionDefaults.unreadable(source, io);
            }
            throw new OptionDefaults.Invalid(source + ": not valid " + extension.toUpperCase(Locale.ROOT) + " ("
                    + firstLine(e.getMessage()) + ")");
        }
        for (Map.Entry<String, Object> e : read.entrySet()) {
            String key = e.getKey();
            if (key.matches(".*\\[\\d+]$")) {
                continue; // Micronaut also lists a sequence's items by index; the sequence itself is read below
            }
            if (!key.startsWith(PREFIX)) {
                throw new OptionDefaults.Invalid(source + ": key '" + key + "' is not the coordinator's; its keys "
                        + "are " + PREFIX + "OPTION, e.g. " + PREFIX + "broker-port");
            }
            Object value = e.getValue();
            String text = value instanceof Collection<?> c ? c.stream().map(String::valueOf)
                    .collect(Collectors.joining(",")) : String.valueOf(value);
            values.put(key.substring(PREFIX.length()), new OptionDefaults.Value(key, text.strip(), source));
        }
    }

    private static String firstLine(String message) {
        return message == null ? "unreadable" : message.lines().findFirst().orElse("").strip();
    }
}
