package io.tinyfed.agent;

import io.tinyfed.core.Model;
import io.tinyfed.core.ModelCodec;
import io.tinyfed.protocol.DeploymentStatus;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.WireCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;

/**
 * An agent's deployment state on disk, so a rebooted gateway serves the version it served: two
 * model slots ({@code serving} and {@code previous}), each the coordinator's signed snapshot plus
 * the device's own weights of it (personalised, learned online, in the device's number format),
 * the last status it reported, the issue time of the last deploy it applied and the length of
 * its shadow comparison. Every file is
 * replaced atomically; snapshots are verified again when read, so a file swapped on disk is not
 * served.
 */
final class DeploymentFiles {
    /** A model slot: the signed version and the weights the device runs of it. */
    record Slot(ModelSnapshot snapshot, Model weights) {
    }

    /** What {@link #load} found. */
    record Saved(Slot serving, Slot previous, DeploymentStatus status, Instant lastIssued, int shadowTarget) {
    }

    private final Path dir;

    DeploymentFiles(Path dir) {
        this.dir = dir;
    }

    Path directory() {
        return dir;
    }

    /** The saved state, or empty when there is none; fails with a reason naming the file when it is damaged. */
    Optional<Saved> load(SnapshotVerifier verifier) throws IOException {
        if (!Files.isRegularFile(dir.resolve("status.bin"))) {
            return Optional.empty();
        }
        try {
            DeploymentStatus status = WireCodec.decodeDeploymentStatus(Files.readAllBytes(dir.resolve("status.bin")));
            java.util.Properties deploy = new java.util.Properties();
            try (var in = Files.newInputStream(dir.resolve("deploy.properties"))) {
                deploy.load(in);
            }
            Instant issued = Instant.ofEpochMilli(Long.parseLong(deploy.getProperty("issued-at-ms", "")));
            int shadowTarget = Integer.parseInt(deploy.getProperty("shadow-samples", ""));
            return Optional.of(new Saved(slot("serving", verifier), slot("previous", verifier), status, issued,
                    shadowTarget));
        } catch (ProtocolException | io.tinyfed.core.ModelFormatException | NumberFormatException e) {
            throw new IOException("deployment state in " + dir + " is damaged (" + e.getMessage() + "); remove the "
                    + "directory to start without a deployed version", e);
        }
    }

    private Slot slot(String name, SnapshotVerifier verifier) throws IOException, ProtocolException,
            io.tinyfed.core.ModelFormatException {
        Path snapshot = dir.resolve(name + ".snapshot");
        if (!Files.isRegularFile(snapshot)) {
            return null;
        }
        ModelSnapshot s = WireCodec.decodeSnapshot(Files.readAllBytes(snapshot));
        verifier.verify(s);
        Model weights = ModelCodec.decode(Files.readAllBytes(dir.resolve(name + ".model")));
        if (!weights.architecture().equals(s.model().architecture())) {
            throw new io.tinyfed.core.ModelFormatException(name + ".model does not have " + name + ".snapshot's architecture");
        }
        return new Slot(s, weights);
    }

    /** Replaces the saved state; slots first, the status last, so a crash in between keeps the old status. */
    void save(Slot serving, Slot previous, DeploymentStatus status, Instant lastIssued, int shadowTarget) {
        try {
            Files.createDirectories(dir);
            write("serving", serving);
            write("previous", previous);
            String deploy = "issued-at-ms=" + lastIssued.toEpochMilli() + "\nshadow-samples=" + shadowTarget + "\n";
            replace("deploy.properties", deploy.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            replace("status.bin", WireCodec.encode(status));
        } catch (IOException e) {
            throw new UncheckedIOException("deployment state not saved in " + dir + ": " + e.getMessage(), e);
        }
    }

    private void write(String name, Slot slot) throws IOException {
        if (slot == null) {
            Files.deleteIfExists(dir.resolve(name + ".snapshot"));
            Files.deleteIfExists(dir.resolve(name + ".model"));
            return;
        }
        replace(name + ".model", ModelCodec.encode(slot.weights()));
        replace(name + ".snapshot", WireCodec.encode(slot.snapshot()));
    }

    private void replace(String name, byte[] bytes) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
