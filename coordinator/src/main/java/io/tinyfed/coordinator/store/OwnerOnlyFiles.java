package io.tinyfed.coordinator.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Secrets on disk: files readable by their owner only from the moment they exist. */
public final class OwnerOnlyFiles {
    private OwnerOnlyFiles() {
    }

    /**
     * Writes {@code bytes} to a temporary owner-only file beside {@code target} and moves it into
     * place atomically: a crash leaves either no file or the whole one, never a readable partial secret.
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp); // not a POSIX file system: keep the platform default
        }
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
