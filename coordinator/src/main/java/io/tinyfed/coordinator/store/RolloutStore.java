package io.tinyfed.coordinator.store;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.tinyfed.coordinator.rollout.Rollout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Rollouts on disk: one JSON file per rollout in the store's {@code rollouts/} directory, replaced
 * atomically after every decision and before anything it decided is sent, so a coordinator killed
 * at any point restarts from a state that never sends a finished wave again.
 */
public final class RolloutStore {
    private final Path dir;
    private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public RolloutStore(Path storeDir) {
        this.dir = storeDir.resolve("rollouts");
    }

    /** Every persisted rollout, oldest first. @throws IOException naming a file that cannot be read */
    public List<Rollout.State> load() throws IOException {
        List<Rollout.State> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                try {
                    out.add(json.readValue(f.toFile(), Rollout.State.class));
                } catch (IOException e) {
                    throw new IOException("rollout file " + f + " cannot be read (" + e.getMessage() + "); restore it "
                            + "from a backup or move it away", e);
                }
            }
        }
        out.sort(java.util.Comparator.comparing(Rollout.State::created).thenComparing(Rollout.State::id));
        return out;
    }

    /** Replaces the rollout's file. */
    public void save(Rollout.State state) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(state.id() + ".json.tmp");
            json.writeValue(tmp.toFile(), state);
            Files.move(tmp, dir.resolve(state.id() + ".json"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("rollout " + state.id() + " not saved in " + dir + ": " + e.getMessage(), e);
        }
    }
}
