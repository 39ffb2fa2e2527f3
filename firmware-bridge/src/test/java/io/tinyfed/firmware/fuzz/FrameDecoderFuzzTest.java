package io.tinyfed.firmware.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tinyfed.firmware.serial.FrameDecoder;

/**
 * The serial line's COBS/CRC frame decoder: any byte stream is counted as frames, bad CRCs,
 * malformed or oversize frames, and never throws (a noisy line must not stop the bridge).
 */
class FrameDecoderFuzzTest {
    @FuzzTest
    void feed(byte[] bytes) {
        FrameDecoder decoder = new FrameDecoder(frame -> {
        });
        // in two pieces, as a line delivers them
        int half = bytes.length / 2;
        decoder.feed(bytes, 0, half);
        decoder.feed(bytes, half, bytes.length - half);
    }
}
