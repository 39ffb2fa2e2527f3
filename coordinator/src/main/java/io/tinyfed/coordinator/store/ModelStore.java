package io.tinyfed.coordinator.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.tinyfed.core.Model;
import io.tinyfed.core.ModelCodec;
import io.tinyfed.core.ModelFormatException;
import io.tinyfed.protocol.ModelSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Every model version on disk: the model's {@link ModelCodec} bytes content-addressed by SHA-256
 * under {@code objects/}, and one JSON metadata file per version under {@code versions/{modelId}/}
 * (round, parent, signature, contributors, rejections, meta-evaluation). Files are written to a
 * temporary name, forced to disk and atomically renamed, so a {@code kill -9} leaves either the
 * old or the new version, never half of one. {@code rounds.log} records every round started, so
 * a restarted coordinator never reuses a round number (an update from before the crash cannot be
 * counted in a new round).
 */
public final class ModelStore {
    /** Metadata of one stored version. {@code metaEvalLoss} is null when not evaluated. */
    public record Version(String modelId, long version, int round, long parentVersion, String sha256, String keyId,
                          String signature, Instant createdAt, String strategy, List<String> contributors,
                          Map<String, Integer> rejected, Double metaEvalLoss) {
    }

    private final Path dir;
    private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
            .enable(SerializationFeature.INDENT_OUTPUT);

    public ModelStore(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir.resolve("objects"));
        Files.createDirectories(dir.resolve("versions"));
    }

    public Path directory() {
        return dir;
    }

    /** Stores a signed snapshot as the next version; returns its metadata. */
    public synchronized Version save(ModelSnapshot snapshot, int round, long parentVersion, String strategy,
                                     List<String> contributors, Map<String, Integer> rejected, Double metaEvalLoss)
            throws IOException {
        byte[] bytes = ModelCodec.encode(snapshot.model());
        String sha = sha256(bytes);
        Path object = dir.resolve("objects").resolve(sha + ".tfm");
        if (!Files.exists(object)) {
            writeAtomically(object, bytes);
        }
        Version v = new Version(snapshot.modelId(), snapshot.version(), round, parentVersion, sha, snapshot.keyId(),
                Base64.getEncoder().encodeToString(snapshot.signature()), snapshot.createdAt(), strategy,
                List.copyOf(contributors), Map.copyOf(rejected), metaEvalLoss);
        Path versions = dir.resolve("versions").resolve(checkedId(snapshot.modelId()));
        Files.createDirectories(versions);
        writeAtomically(versions.resolve(String.format("%010d.json", snapshot.version())), json.writeValueAsBytes(v));
        return v;
    }

    /**
     * The stored versions of {@code modelId}, oldest first.
     *
     * @throws IllegalArgumentException if {@code modelId} is not a protocol identifier (it names a directory)
     */
    public synchronized List<Version> versions(String modelId) throws IOException {
        Path versions = dir.resolve("versions").resolve(checkedId(modelId));
        if (!Files.isDirectory(versions)) {
            return List.of();
        }
        List<Version> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(versions)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                out.add(json.readValue(f.toFile(), Version.class));
            }
        }
        return out;
    }

    public Optional<Version> latest(String modelId) throws IOException {
        List<Version> all = versions(modelId);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Version {@code number} of {@code modelId}; empty when the store does not hold it. */
    public Optional<Version> version(String modelId, long number) throws IOException {
        return versions(modelId).stream().filter(v -> v.version() == number).findFirst();
    }

    /** The stored model of {@code v}, checked against its SHA-256. */
    public Model load(Version v) throws IOException {
        String what = v.modelId() + " version " + v.version();
        if (v.sha256() == null || !SHA256_HEX.matcher(v.sha256()).matches()) {
            // The metadata names the object file: anything but a hash could point outside the store.
            throw new IOException(what + ": metadata holds no valid SHA-256 (" + v.sha256() + ")");
        }
        Path object = dir.resolve("objects").resolve(v.sha256() + ".tfm");
        byte[] bytes = Files.readAllBytes(object);
        if (!sha256(bytes).equals(v.sha256())) {
            throw new IOException(what + ": " + object + " is corrupt (hash mismatch)");
        }
        try {
            return ModelCodec.decode(bytes);
        } catch (ModelFormatException e) {
            throw new IOException(what + ": " + object + ": " + e.getMessage(), e);
        }
    }

    private static final java.util.regex.Pattern SHA256_HEX = java.util.regex.Pattern.compile("[0-9a-f]{64}");

    /** A protocol identifier that is also safe as a directory name (not {@code .} or {@code ..}). */
    public static boolean isValidModelId(String modelId) {
        return io.tinyfed.protocol.Limits.isValidId(modelId) && !modelId.equals(".") && !modelId.equals("..");
    }

    private static String checkedId(String modelId) {
        if (!isValidModelId(modelId)) {
            throw new IllegalArgumentException("invalid model id '" + modelId + "': 1..64 of [A-Za-z0-9._-], not . or ..");
        }
        return modelId;
    }

    /** The stored, signed snapshot of {@code v}. */
    public ModelSnapshot snapshot(Version v) throws IOException {
        return new ModelSnapshot(v.modelId(), v.version(), load(v), v.keyId(), Base64.getDecoder().decode(v.signature()),
                v.createdAt());
    }

    /**
     * The stored snapshot of {@code v}, its signature verified against the keys in {@code trustFile} (the store's
     * own is {@link CoordinatorKeys#trustFile}).
     *
     * @throws io.tinyfed.protocol.ProtocolException if it does not verify: a device would refuse it
     */
    public ModelSnapshot verifiedSnapshot(Version v, Path trustFile) throws IOException,
            io.tinyfed.protocol.ProtocolException {
        ModelSnapshot snapshot = snapshot(v);
        new io.tinyfed.protocol.SnapshotVerifier(io.tinyfed.protocol.TrustedKeys.read(trustFile)).verify(snapshot);
        return snapshot;
    }

    /** Records that {@code round} started (appended and forced to disk before any task goes out). */
    public synchronized void roundStarted(int round) throws IOException {
        Path log = dir.resolve("rounds.log");
        try (var ch = java.nio.channels.FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap((round + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
    }

    /** The highest round ever started (0 if none). */
    public synchronized int lastRoundStarted() throws IOException {
        Path log = dir.resolve("rounds.log");
        if (!Files.exists(log)) {
            return 0;
        }
        int max = 0;
        for (String line : Files.readAllLines(log, StandardCharsets.US_ASCII)) {
            if (!line.isBlank()) {
                try {
                    max = Math.max(max, Integer.parseInt(line.strip()));
                } catch (NumberFormatException e) {
                    // a torn last line from a crash mid-append: ignore it
                }
            }
        }
        return max;
    }

    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (var ch = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        // The rename is durable only once the directory entry is: a power loss must not lose a stored version.
        try (var dirChannel = java.nio.channels.FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
            dirChannel.force(true);
        } catch (IOException | UnsupportedOperationException notSupported) {
            // some platforms cannot open or sync a directory; the file itself is synced above
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new UncheckedIOException(new IOException("no SHA-256", e));
        }
    }
}
