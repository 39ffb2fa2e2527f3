package io.tinyfed.firmware.serial;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Turns a byte stream into frames. Bytes accumulate until a 0x00 delimiter; a frame that is too long,
 * not valid COBS, too short or fails its CRC is dropped and counted, and decoding resumes at the next
 * delimiter, so garbage between frames costs at most the frame it touches. Not thread-safe: one
 * reader feeds it.
 */
public final class FrameDecoder {
    private final byte[] buffer = new byte[Frames.MAX_ENCODED];
    private final Consumer<Frames.Frame> sink;
    private int n;
    private boolean overflowing;
    private final AtomicLong frames = new AtomicLong();
    private final AtomicLong badCrc = new AtomicLong();
    private final AtomicLong oversize = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();

    public FrameDecoder(Consumer<Frames.Frame> sink) {
        this.sink = sink;
    }

    public void feed(byte[] data, int off, int len) {
        for (int i = off; i < off + len; i++) {
            byte b = data[i];
            if (b != 0) {
                if (n < buffer.length) {
                    buffer[n++] = b;
                } else {
                    overflowing = true;
                }
                continue;
            }
            if (overflowing) {
                oversize.incrementAndGet();
            } else if (n > 0) {
                decode();
            }
            n = 0;
            overflowing = false;
        }
    }

    private void decode() {
        byte[] raw = Frames.uncobs(buffer, n);
        if (raw == null || raw.length < 4) {
            malformed.incrementAndGet();
            return;
        }
        if (raw.length > Frames.MAX_FRAME) {
            oversize.incrementAndGet();
            return;
        }
        int crc = (raw[raw.length - 2] & 0xFF) | (raw[raw.length - 1] & 0xFF) << 8;
        if (crc != Frames.crc16(raw, 0, raw.length - 2)) {
            badCrc.incrementAndGet();
            return;
        }
        byte[] payload = java.util.Arrays.copyOfRange(raw, 2, raw.length - 2);
        frames.incrementAndGet();
        sink.accept(new Frames.Frame(raw[0] & 0xFF, raw[1] & 0xFF, payload));
    }

    public long frames() {
        return frames.get();
    }

    public long badCrc() {
        return badCrc.get();
    }

    public long oversize() {
        return oversize.get();
    }

    public long malformed() {
        return malformed.get();
    }
}
