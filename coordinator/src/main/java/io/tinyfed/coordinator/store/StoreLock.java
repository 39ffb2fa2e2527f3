package io.tinyfed.coordinator.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A coordinator's hold on its store directory: an operating-system lock on {@code STORE/coordinator.lock}
 * (which names the holding process), so that two coordinators never write one store's versions, keys and
 * rollouts. Held from before anything in the store is read until {@link #close}; the operating system releases
 * it when the process dies, so a {@code kill -9} leaves no stale lock.
 */
public final class StoreLock implements AutoCloseable {
    static final String FILE = "coordinator.lock";

    /** The store is held by another coordinator; the message names the store and, when known, the process. */
    public static final class InUseException extends IOException {
        InUseException(String message) {
            super(message);
        }
    }

    private final FileChannel channel;
    private final FileLock lock;

    private StoreLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock on {@code store} (created if missing) without waiting.
     *
     * @throws InUseException if another coordinator holds it
     */
    public static StoreLock acquire(Path store) throws IOException {
        Files.createDirectories(store);
        Path file = store.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String holder = holder(channel);
            channel.close();
            throw new InUseException("store " + store + " is in use by another coordinator"
                    + (holder.isEmpty() ? "" : " (process " + holder + ")") + "; stop it, or use another store directory");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        channel.force(false);
        return new StoreLock(channel, lock);
    }

    /** The process id the holder wrote into the lock file; empty when unreadable. */
    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            channel.read(buffer, 0);
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip();
            return text.matches("\\d{1,10}") ? text : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
