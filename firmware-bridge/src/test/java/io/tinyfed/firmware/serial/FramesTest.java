package io.tinyfed.firmware.serial;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Framing: COBS + CRC-16 round trips, and bad bytes dropped, counted and resynchronised. */
class FramesTest {
    @Test
    void crc16_isCcittFalse() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(Frames.crc16(check, 0, check.length)).isEqualTo(0x29B1);
    }

    @Test
    void frames_roundTripEveryPayloadShape() {
        List<Frames.Frame> got = new ArrayList<>();
        FrameDecoder d = new FrameDecoder(got::add);
        SplittableRandom r = new SplittableRandom(3);
        List<byte[]> sent = new ArrayList<>();
        for (int len : new int[] {0, 1, 253, 254, 255, 300, Frames.MAX_PAYLOAD}) {
            byte[] p = new byte[len];
            for (int i = 0; i < len; i++) {
                p[i] = (byte) (r.nextInt(4) == 0 ? 0 : r.nextInt(256)); // plenty of zeros to stuff
            }
            sent.add(p);
            byte[] wire = Frames.encode(Frames.SNAPSHOT, len & 0xFF, p);
            assertThat(wire.length).isLessThanOrEqualTo(Frames.MAX_ENCODED);
            d.feed(wire, 0, wire.length);
        }
        assertThat(got).hasSize(sent.size());
        for (int i = 0; i < sent.size(); i++) {
            assertThat(got.get(i).payload()).isEqualTo(sent.get(i));
            assertThat(got.get(i).type()).isEqualTo(Frames.SNAPSHOT);
        }
    }

    @Test
    void badBytes_areDroppedCountedAndTheStreamResynchronises() {
        List<Frames.Frame> got = new ArrayList<>();
        FrameDecoder d = new FrameDecoder(got::add);
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        byte[] good = Frames.encode(Frames.HELLO, 1, new byte[] {1, 2, 3});
        byte[] corrupted = Frames.encode(Frames.HELLO, 2, new byte[] {1, 2, 3});
        corrupted[3] ^= 0x10;
        byte[] truncated = Frames.encode(Frames.HELLO, 3, new byte[] {9, 9, 9, 9});
        s.writeBytes(new byte[] {0x55, 0x13, 0x7F}); // garbage before the first delimiter
        s.write(0);
        s.writeBytes(good);
        s.writeBytes(corrupted);
        s.writeBytes(java.util.Arrays.copyOf(truncated, 3)); // cut off, then the next frame's delimiter ends it
        s.write(0);
        s.writeBytes(new byte[Frames.MAX_ENCODED + 10].length == 0 ? new byte[0] : filled(Frames.MAX_ENCODED + 10));
        s.write(0);
        s.writeBytes(good);
        byte[] all = s.toByteArray();

        d.feed(all, 0, all.length);

        assertThat(got).hasSize(2).allSatisfy(f -> assertThat(f.payload()).containsExactly(1, 2, 3));
        assertThat(d.badCrc() + d.malformed()).isEqualTo(3); // garbage, corrupted, truncated
        assertThat(d.oversize()).isEqualTo(1);
    }

    private static byte[] filled(int n) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) 7);
        return b;
    }
}
