package io.tinyfed.coordinator.store;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.tinyfed.coordinator.rollout.Rollout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rollouts on disk, in the store's {@code rollouts/} directory: per rollout a snapshot
 * ({@code ID.json}, the whole state) and a journal ({@code ID.journal}, one JSON line per decision
 * with only what changed: the devices whose part changed, and the rest of the state when that
 * changed). Every write is forced to the disk before anything it decided is sent, so a coordinator
 * killed at any point, or a gateway that loses power, restarts from a state that never sends a
 * finished wave again. A report costs one short line, whatever the fleet's size; the journal is
 * folded into a new snapshot once it holds more lines than the rollout has devices (and at least
 * {@value #MIN_COMPACT_LINES}); each snapshot has a generation that its journal lines name, so a
 * crash between a new snapshot and the old journal's removal replays nothing twice. A torn last line
 * (a crash during its write, before its decision was acted on) is ignored.
 */
public final class RolloutStore {
    static final int MIN_COMPACT_LINES = 256;
    private static final System.Logger LOG = System.getLogger(RolloutStore.class.getName());
    private final Path dir;
    private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private final ObjectWriter snapshotWriter = json.writer().with(SerializationFeature.INDENT_OUTPUT);
    private final Map<String, Integer> journalLines = new HashMap<>();
    private final Map<String, Long> generations = new HashMap<>();

    /** A snapshot file: the whole state, and its generation (which the journal lines that follow it name). */
    record Snapshot(long generation, Rollout.State state) {
    }

    /**
     * One journal line: the snapshot generation it follows, the devices whose part changed, and the state without
     * its devices when that changed (else null).
     */
    record Change(long generation, Rollout.State rest, List<Rollout.Device> devices) {
    }

    private final int minCompactLines;

    public RolloutStore(Path storeDir) {
        this(storeDir, MIN_COMPACT_LINES);
    }

    /** A store that folds its journals after {@code minCompactLines} lines at the least (tests use small ones). */
    RolloutStore(Path storeDir, int minCompactLines) {
        this.dir = storeDir.resolve("rollouts");
        this.minCompactLines = minCompactLines;
    }

    /** Every persisted rollout (snapshot plus journal), oldest first. @throws IOException naming a file that cannot be read */
    public synchronized List<Rollout.State> load() throws IOException {
        List<Rollout.State> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                Snapshot s;
                try {
                    var tree = json.readTree(f.toFile());
                    // a file without a generation is a snapshot written before the journal existed
                    s = tree.has("state") ? json.treeToValue(tree, Snapshot.class)
                            : new Snapshot(0, json.treeToValue(tree, Rollout.State.class));
                } catch (IOException e) {
                    throw new IOException("rollout file " + f + " cannot be read (" + e.getMessage() + "); restore it "
                            + "from a backup or move it away", e);
                }
                generations.put(s.state().id(), s.generation());
                out.add(replay(s, journal(s.state().id())));
            }
        }
        out.sort(java.util.Comparator.comparing(Rollout.State::created).thenComparing(Rollout.State::id));
        return out;
    }

    private Rollout.State replay(Snapshot saved, Path journal) throws IOException {
        Rollout.State snapshot = saved.state();
        if (!Files.exists(journal)) {
            journalLines.put(snapshot.id(), 0);
            return snapshot;
        }
        Rollout.State rest = snapshot;
        Map<String, Rollout.Device> devices = new LinkedHashMap<>();
        snapshot.devices().forEach(d -> devices.put(d.id(), d));
        List<String> lines = Files.readAllLines(journal, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            Change c;
            try {
                c = json.readValue(lines.get(i), Change.class);
            } catch (IOException e) {
                if (i == lines.size() - 1) {
                    LOG.log(System.Logger.Level.WARNING, "{0}: the last line is incomplete (a crash while it was "
                            + "written, before its decision was acted on); ignored", journal);
                    break;
                }
                throw new IOException("rollout journal " + journal + " line " + (i + 1) + " cannot be read ("
                        + e.getMessage() + "); restore it from a backup or move it away", e);
            }
            if (c.generation() != saved.generation()) {
                continue; // a journal the snapshot already holds (a crash after the snapshot, before the journal's removal)
            }
            if (c.rest() != null) {
                rest = c.rest();
            }
            c.devices().forEach(d -> devices.put(d.id(), d));
        }
        journalLines.put(snapshot.id(), lines.size());
        return withDevices(rest, new ArrayList<>(devices.values()));
    }

    /**
     * Persists {@code after}, the state that followed {@code before} ({@code before} null: a new rollout, or one
     * not saved by this store yet): a journal line with what changed, or a new snapshot when the journal is long.
     * Returns once the bytes are on the disk.
     */
    public synchronized void save(Rollout.State before, Rollout.State after) {
        try {
            Files.createDirectories(dir);
            Integer lines = journalLines.get(after.id());
            if (before == null || lines == null || lines >= Math.max(minCompactLines, after.devices().size())) {
                snapshot(after);
                return;
            }
            Map<String, Rollout.Device> old = new HashMap<>();
            before.devices().forEach(d -> old.put(d.id(), d));
            List<Rollout.Device> changed = new ArrayList<>();
            for (Rollout.Device d : after.devices()) {
                if (!d.equals(old.get(d.id()))) {
                    changed.add(d);
                }
            }
            Rollout.State rest = withDevices(after, List.of());
            Change c = new Change(generations.getOrDefault(after.id(), 0L),
                    rest.equals(withDevices(before, List.of())) ? null : rest, changed);
            byte[] line = (json.writeValueAsString(c) + "\n").getBytes(StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(journal(after.id()), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                ByteBuffer b = ByteBuffer.wrap(line);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(false);
            }
            if (lines == 0) {
                forceDirectory(); // the journal's directory entry is durable too
            }
            journalLines.put(after.id(), lines + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("rollout " + after.id() + " not saved in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The whole state, written to a temporary file, forced, moved over the snapshot; then the journal is removed. */
    private void snapshot(Rollout.State state) throws IOException {
        Path tmp = dir.resolve(state.id() + ".json.tmp");
        long generation = generations.getOrDefault(state.id(), 0L) + 1;
        byte[] bytes = snapshotWriter.writeValueAsBytes(new Snapshot(generation, state));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(state.id() + ".json"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        forceDirectory();
        generations.put(state.id(), generation);
        // The old journal names the previous generation: a crash before its removal leaves lines that replay skips.
        Files.deleteIfExists(journal(state.id()));
        journalLines.put(state.id(), 0);
    }

    private void forceDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every platform syncs a directory (Windows); the file contents are forced regardless
        }
    }

    private Path journal(String id) {
        return dir.resolve(id + ".journal");
    }

    private static Rollout.State withDevices(Rollout.State s, List<Rollout.Device> devices) {
        return new Rollout.State(s.id(), s.modelId(), s.version(), s.plan(), s.phase(), s.reason(), s.created(),
                s.pausedAt(), s.waves(), devices, s.decisions());
    }
}
