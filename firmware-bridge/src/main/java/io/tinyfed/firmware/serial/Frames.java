package io.tinyfed.firmware.serial;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The serial frame format (docs/serial-protocol.md): {@code type u8, seq u8, payload, crc16 u16 LE}
 * with CRC-16/CCITT-FALSE over type, seq and payload, COBS-encoded and terminated by a 0x00 byte.
 * A decoded frame is at most {@link #MAX_FRAME} bytes, so an MCU needs well under 2 KB to receive one.
 */
public final class Frames {
    /** Largest decoded frame (type + seq + payload + crc). */
    public static final int MAX_FRAME = 512;
    /** Largest payload. */
    public static final int MAX_PAYLOAD = MAX_FRAME - 4;
    /** Largest encoded frame on the wire, delimiter included. */
    public static final int MAX_ENCODED = MAX_FRAME + MAX_FRAME / 254 + 2;

    public static final int HELLO = 0x01;
    public static final int STATE = 0x02;
    public static final int TASK = 0x03;
    public static final int SNAPSHOT = 0x04;
    public static final int UPDATE = 0x05;
    public static final int METRICS = 0x06;
    public static final int ACK = 0x07;
    public static final int DEPLOY = 0x08;
    public static final int DEPLOYMENT = 0x09;
    /** A compressed update: the top of the round's change as int8, the rest kept on the MCU (docs/serial-protocol.md). */
    public static final int UPDATE_S8 = 0x0A;

    /** One decoded frame. */
    public record Frame(int type, int seq, byte[] payload) {
        @Override
        public String toString() {
            return "Frame[type=" + type + ", seq=" + seq + ", payload=" + payload.length + " B]";
        }
    }

    private Frames() {
    }

    /** CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor ("123456789" -> 0x29B1). */
    public static int crc16(byte[] data, int off, int len) {
        int crc = 0xFFFF;
        for (int i = off; i < off + len; i++) {
            crc ^= (data[i] & 0xFF) << 8;
            for (int b = 0; b < 8; b++) {
                crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x1021) & 0xFFFF : (crc << 1) & 0xFFFF;
            }
        }
        return crc;
    }

    /** COBS encoding of {@code data} followed by the 0x00 delimiter. */
    public static byte[] encode(int type, int seq, byte[] payload) {
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + payload.length + " B exceeds " + MAX_PAYLOAD + " B");
        }
        byte[] raw = new byte[payload.length + 4];
        raw[0] = (byte) type;
        raw[1] = (byte) seq;
        System.arraycopy(payload, 0, raw, 2, payload.length);
        int crc = crc16(raw, 0, payload.length + 2);
        raw[raw.length - 2] = (byte) crc;
        raw[raw.length - 1] = (byte) (crc >>> 8);
        return cobs(raw);
    }

    static byte[] cobs(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length + raw.length / 254 + 2);
        int codeAt = 0;
        byte[] block = new byte[255];
        int n = 0;
        for (byte b : raw) {
            if (b == 0) {
                out.write(n + 1);
                out.write(block, 0, n);
                n = 0;
            } else {
                block[n++] = b;
                if (n == 254) {
                    out.write(255);
                    out.write(block, 0, n);
                    n = 0;
                }
            }
        }
        out.write(n + 1);
        out.write(block, 0, n);
        out.write(0);
        return out.toByteArray();
    }

    /** Decodes the COBS bytes of one frame (without the delimiter); null if the encoding is invalid. */
    static byte[] uncobs(byte[] enc, int len) {
        byte[] out = new byte[len];
        int o = 0;
        int i = 0;
        while (i < len) {
            int code = enc[i++] & 0xFF;
            if (code == 0 || i + code - 1 > len) {
                return null;
            }
            for (int k = 1; k < code; k++) {
                out[o++] = enc[i++];
            }
            if (code < 255 && i < len) {
                out[o++] = 0;
            }
        }
        return Arrays.copyOf(out, o);
    }
}
