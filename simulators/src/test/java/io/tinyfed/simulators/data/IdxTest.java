package io.tinyfed.simulators.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX fixtures are written here byte by byte: 3 images of 2x4 pixels, labels 0, 9, 4. */
class IdxTest {
    @TempDir
    Path dir;

    private Path write(String name, int magic, int[] dims, byte[] body) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(magic);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(body);
        }
        Path file = dir.resolve(name);
        try (OutputStream out = name.endsWith(".gz") ? new GZIPOutputStream(Files.newOutputStream(file))
                : Files.newOutputStream(file)) {
            out.write(bytes.toByteArray());
        }
        return file;
    }

    private static byte[] pixels() {
        byte[] b = new byte[3 * 8];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 10);
        }
        b[23] = (byte) 255;
        return b;
    }

    @Test
    void read_gzippedImagesAndLabels() throws Exception {
        Path images = write("images-idx3-ubyte.gz", 0x803, new int[] {3, 2, 4}, pixels());
        Path labels = write("labels-idx1-ubyte.gz", 0x801, new int[] {3}, new byte[] {0, 9, 4});

        LabelledImages set = Idx.read(images, labels, 10);

        assertThat(set.size()).isEqualTo(3);
        assertThat(set.width()).isEqualTo(4);
        assertThat(set.height()).isEqualTo(2);
        assertThat(set.labels()).containsExactly(0, 9, 4);
        assertThat(set.pixels().get(0)[1]).isEqualTo(10 / 255f);
        assertThat(set.pixels().get(2)[7]).isEqualTo(1f);
    }

    @Test
    void downsample_averagesBlocks() throws Exception {
        Path images = write("i.idx3", 0x803, new int[] {3, 2, 4}, pixels());
        Path labels = write("l.idx1", 0x801, new int[] {3}, new byte[] {0, 9, 4});

        LabelledImages small = Idx.read(images, labels, 10).downsample(2);

        assertThat(small.width()).isEqualTo(2);
        assertThat(small.pixels().get(0)[0]).isCloseTo((0 + 10 + 40 + 50) / 4f / 255f, org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void read_refusesWrongMagicTruncationMismatchedCountsAndLabelsOutOfRange() throws Exception {
        Path labels = write("l.idx1", 0x801, new int[] {3}, new byte[] {0, 9, 4});
        Path floats = write("f.idx3", 0xD03, new int[] {3, 2, 4}, pixels());
        assertThatThrownBy(() -> Idx.read(floats, labels, 10)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("IDX magic 0x00000d03, expected 0x00000803");

        byte[] cut = new byte[20];
        Path truncated = write("t.idx3", 0x803, new int[] {3, 2, 4}, cut);
        assertThatThrownBy(() -> Idx.read(truncated, labels, 10)).hasMessageContaining("truncated at image 2");

        Path four = write("four.idx1", 0x801, new int[] {4}, new byte[] {0, 1, 2, 3});
        Path images = write("i.idx3", 0x803, new int[] {3, 2, 4}, pixels());
        assertThatThrownBy(() -> Idx.read(images, four, 10)).hasMessageContaining("holds 3 images but").hasMessageContaining("4 labels");

        Path big = write("big.idx1", 0x801, new int[] {3}, new byte[] {0, 12, 4});
        assertThatThrownBy(() -> Idx.read(images, big, 10)).hasMessageContaining("label 12 at 1 is not in [0, 10)");

        Path empty = write("empty.idx3", 0x803, new int[] {}, new byte[0]);
        assertThatThrownBy(() -> Idx.read(empty, labels, 10)).hasMessageContaining("empty.idx3: truncated IDX header");
    }
}
