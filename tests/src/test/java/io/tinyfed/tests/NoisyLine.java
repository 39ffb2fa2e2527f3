package io.tinyfed.tests;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.SplittableRandom;

/** A bad serial line for tests: deterministic bit flips and garbage, from a seed. */
final class NoisyLine {
    private NoisyLine() {
    }

    /** Flips one random bit in about every {@code every}-th byte read. */
    static final class In extends FilterInputStream {
        private final SplittableRandom random;
        private final int every;

        In(InputStream in, int every, long seed) {
            super(in);
            this.every = every;
            this.random = new SplittableRandom(seed);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            for (int i = off; i < off + Math.max(n, 0); i++) {
                if (b[i] != 0 && random.nextInt(every) == 0) {
                    b[i] ^= (byte) (1 << random.nextInt(8));
                    if (b[i] == 0) {
                        b[i] = 1; // keep delimiters where they were: the frame fails its CRC instead
                    }
                }
            }
            return n;
        }
    }

    /** Every 5th frame written gets a flipped bit; every 7th is preceded by a garbage frame. */
    static final class Out extends FilterOutputStream {
        private final SplittableRandom random;
        private int frames;

        Out(OutputStream out, long seed) {
            super(out);
            this.random = new SplittableRandom(seed);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            frames++;
            byte[] copy = java.util.Arrays.copyOfRange(b, off, off + len);
            if (frames % 7 == 0) {
                out.write(new byte[] {0x41, 0x42, 0x43, 0x00});
            }
            if (frames % 5 == 0 && len > 2) {
                int i = random.nextInt(len - 1);
                copy[i] ^= (byte) (1 << random.nextInt(8));
                if (copy[i] == 0) {
                    copy[i] = 1;
                }
            }
            out.write(copy);
        }
    }
}
