package io.tinyfed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

class ModelCodecTest {
    private static final Architecture CONV = Architecture.builder(16).conv1d(8, 2, 4, 3).relu().dense(5).tanh()
            .dense(3).sigmoid().dense(2).softmax().build();

    private static Model s16() {
        Model f32 = Model.initialize(CONV, 3);
        float[] x = new float[16];
        Arrays.fill(x, 0.7f);
        return Quantizer.toS16(f32, java.util.List.of(x));
    }

    @Test
    void roundTrip_isExactForBothFormats() throws Exception {
        for (Model m : new Model[] {Model.initialize(CONV, 3), s16(), Model.initialize(TestData.SINE, 9)}) {
            byte[] bytes = ModelCodec.encode(m);
            Model back = ModelCodec.decode(bytes);
            assertThat(back).isEqualTo(m);
            assertThat(ModelCodec.encode(back)).isEqualTo(bytes);
        }
    }

    @Test
    void encodedSize_isHeaderPlusParameters() {
        Model m = Model.initialize(TestData.SINE, 1);
        // header 10 + 5 layers (Dense 9 B, activations 5 B) + count 4 + 1761*4 + crc 4
        assertThat(ModelCodec.encode(m)).hasSize(10 + 3 * 9 + 2 * 5 + 4 + 1761 * 4 + 4);
    }

    @Test
    void everySingleBitFlip_isRejected() {
        byte[] good = ModelCodec.encode(s16());
        for (int i = 0; i < good.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) (1 << bit);
                assertThatThrownBy(() -> ModelCodec.decode(bad)).as("flip byte %d bit %d", i, bit)
                        .isInstanceOf(ModelFormatException.class);
            }
        }
    }

    @Test
    void randomCorruption_isRejected() {
        byte[] good = ModelCodec.encode(Model.initialize(CONV, 4));
        SplittableRandom r = new SplittableRandom(1);
        for (int trial = 0; trial < 2000; trial++) {
            byte[] bad = good.clone();
            int flips = 1 + r.nextInt(8);
            for (int k = 0; k < flips; k++) {
                bad[r.nextInt(bad.length)] ^= (byte) (1 + r.nextInt(255));
            }
            if (Arrays.equals(bad, good)) {
                continue;
            }
            assertThatThrownBy(() -> ModelCodec.decode(bad)).isInstanceOf(ModelFormatException.class);
        }
    }

    @Test
    void everyTruncation_isRejected() {
        byte[] good = ModelCodec.encode(s16());
        for (int len = 0; len < good.length; len++) {
            byte[] cut = Arrays.copyOf(good, len);
            assertThatThrownBy(() -> ModelCodec.decode(cut)).as("length %d", len)
                    .isInstanceOf(ModelFormatException.class);
        }
    }

    @Test
    void wrongMagicVersionAndOversize_haveClearReasons() {
        byte[] good = ModelCodec.encode(Model.initialize(TestData.SINE, 1));
        byte[] magic = good.clone();
        magic[0] = 'X';
        assertThatThrownBy(() -> ModelCodec.decode(magic)).hasMessageContaining("bad magic");
        byte[] version = good.clone();
        version[4] = 2;
        assertThatThrownBy(() -> ModelCodec.decode(version)).hasMessageContaining("unsupported codec version 2");
        assertThatThrownBy(() -> ModelCodec.decode(good, 100)).hasMessageContaining("limit 100 B");
        byte[] trailing = Arrays.copyOf(good, good.length + 3);
        assertThatThrownBy(() -> ModelCodec.decode(trailing)).isInstanceOf(ModelFormatException.class);
    }

    @Test
    void structurallyInvalidBodyWithValidChecksum_isRejectedWithReason() {
        byte[] good = ModelCodec.encode(Model.initialize(TestData.SINE, 1));
        // claim a NaN parameter: the CRC is recomputed so only the content check can catch it
        ByteBuffer b = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN);
        int firstParam = 10 + 3 * 9 + 2 * 5 + 4;
        b.putFloat(firstParam, Float.NaN);
        resign(good);
        assertThatThrownBy(() -> ModelCodec.decode(good)).hasMessageContaining("not finite");

        byte[] shape = ModelCodec.encode(Model.initialize(TestData.SINE, 1));
        ByteBuffer.wrap(shape).order(ByteOrder.LITTLE_ENDIAN).putInt(20, 7); // ReLU of size 7 after Dense(1, 40) breaks the chain
        resign(shape);
        assertThatThrownBy(() -> ModelCodec.decode(shape)).hasMessageContaining("invalid model");
    }

    private static void resign(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length - 4, (int) crc.getValue());
    }
}
