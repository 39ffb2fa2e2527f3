package io.tinyfed.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DeltaCompressorTest {

    @Test
    void compress_sendsTheLargestMagnitudesInPositionOrder() {
        DeltaCompressor c = new DeltaCompressor(6, NumberFormat.F32, false);
        float[] delta = {0.1f, -0.9f, 0.05f, 0.5f, -0.2f, 0.0f};

        SparseDelta actual = c.compress(delta, 0.5);

        assertArrayEquals(new int[] {1, 3, 4}, actual.indices());
        // One block; largest magnitude 0.9 -> 2^7 scale (0.9 * 128 = 115.2 <= 127, 0.9 * 256 > 127).
        assertArrayEquals(new byte[] {7}, actual.blockFrac());
        assertArrayEquals(new byte[] {-115, 64, -26}, actual.values()); // -115.2, 64.0, -25.6 rounded
    }

    @Test
    void compress_breaksTiesTowardsTheLowerPosition() {
        DeltaCompressor c = new DeltaCompressor(5, NumberFormat.F32, false);

        SparseDelta actual = c.compress(new float[] {0.5f, 1f, 0.5f, 0.5f, 0f}, 0.6);

        assertArrayEquals(new int[] {0, 1, 2}, actual.indices());
    }

    @Test
    void compress_scalesEachBlockOnItsOwn() {
        float[] delta = new float[64];
        for (int i = 0; i < 32; i++) {
            delta[i] = 100f;           // first block: large
            delta[32 + i] = 0.001f;    // second block: tiny, must not round to zero
        }
        DeltaCompressor c = new DeltaCompressor(64, NumberFormat.F32, false);

        SparseDelta actual = c.compress(delta, 1.0);

        assertEquals(2, actual.blockFrac().length);
        assertEquals(100f, actual.value(0), 100f / 127);
        assertEquals(0.001f, actual.value(40), 0.001f / 127);
    }

    @Test
    void errorFeedback_keepsWhatWasNotSentAndSendsItLater() {
        DeltaCompressor c = new DeltaCompressor(4, NumberFormat.F32, true);
        float[] delta = {1f, 0.5f, 0f, 0f};

        SparseDelta first = c.compress(delta, 0.25);
        SparseDelta second = c.compress(new float[4], 0.25);

        assertArrayEquals(new int[] {0}, first.indices());
        assertArrayEquals(new int[] {1}, second.indices(), "the unsent 0.5 goes out when nothing larger is new");
        assertEquals(0.5f, second.value(0), 0.5f / 127);
    }

    @Test
    void errorFeedback_sumOfWhatIsSentPlusResidualEqualsSumOfDeltas() {
        SplittableRandom r = new SplittableRandom(3);
        for (NumberFormat format : NumberFormat.values()) {
            DeltaCompressor c = new DeltaCompressor(200, format, true);
            double[] sentSum = new double[200];
            double[] deltaSum = new double[200];
            for (int round = 0; round < 20; round++) {
                float[] delta = new float[200];
                for (int i = 0; i < delta.length; i++) {
                    delta[i] = (float) (r.nextGaussian() * 0.01);
                    deltaSum[i] += delta[i];
                }
                float[] sent = c.compress(delta, 0.05).toDense();
                for (int i = 0; i < sent.length; i++) {
                    sentSum[i] += sent[i];
                }
            }
            float[] residual = c.residual();
            double worst = 0;
            for (int i = 0; i < 200; i++) {
                worst = Math.max(worst, Math.abs(sentSum[i] + residual[i] - deltaSum[i]));
            }
            // F32: float rounding only; S16: the residual's int16 rounding, each round at most 2^-16 of its largest value.
            double tolerance = format == NumberFormat.F32 ? 1e-6 : 20 * 0.2 / 32767;
            assertTrue(worst < tolerance, format + ": sent + residual differs from the deltas' sum by " + worst);
        }
    }

    @Test
    void withoutErrorFeedback_nothingIsCarriedOver() {
        DeltaCompressor c = new DeltaCompressor(4, NumberFormat.S16, false);
        c.compress(new float[] {1f, 0.5f, 0f, 0f}, 0.25);

        SparseDelta second = c.compress(new float[4], 0.25);

        assertArrayEquals(new float[4], c.residual());
        assertEquals(0f, second.value(0));
        assertEquals(0, c.residualBytes());
    }

    @Test
    void residualBytes_countsTheResidualInTheDeviceFormat() {
        assertEquals(2 * 1761 + 4, new DeltaCompressor(1761, NumberFormat.S16, true).residualBytes());
        assertEquals(4 * 1761, new DeltaCompressor(1761, NumberFormat.F32, true).residualBytes());
    }

    @Test
    void compress_refusesNonFiniteDeltaAndKeepsTheResidual() {
        DeltaCompressor c = new DeltaCompressor(3, NumberFormat.F32, true);
        c.compress(new float[] {1f, 0.5f, 0.25f}, 0.34);
        float[] expected = c.residual();

        assertThrows(IllegalArgumentException.class, () -> c.compress(new float[] {Float.NaN, 0f, 0f}, 0.34));
        assertThrows(IllegalArgumentException.class, () -> c.compress(new float[2], 0.34));
        assertThrows(IllegalArgumentException.class, () -> c.compress(new float[3], 0));

        assertArrayEquals(expected, c.residual());
    }

    @Test
    void sparseDelta_refusesPositionsOutOfOrderAndScalesOutOfRange() {
        assertThrows(IllegalArgumentException.class,
                () -> new SparseDelta(4, new int[] {2, 1}, new byte[2], new byte[1]));
        assertThrows(IllegalArgumentException.class,
                () -> new SparseDelta(4, new int[] {4}, new byte[1], new byte[1]));
        assertThrows(IllegalArgumentException.class,
                () -> new SparseDelta(4, new int[] {0}, new byte[1], new byte[] {41}));
        assertThrows(IllegalArgumentException.class,
                () -> new SparseDelta(4, new int[] {0}, new byte[1], new byte[0]));
    }
}
