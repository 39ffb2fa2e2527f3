package io.tinyfed.simulators.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The IDX format of MNIST and Fashion-MNIST: big-endian magic {@code 0x0000 08 NN} (unsigned bytes, NN dimensions),
 * NN big-endian int32 sizes, then the bytes. Images are {@code idx3-ubyte} (count, rows, columns), labels
 * {@code idx1-ubyte} (count). Files ending in {@code .gz} are gunzipped. Anything else (another element type, wrong
 * dimensions, counts that disagree, a truncated file, a label out of range) is refused with the file named.
 */
public final class Idx {
    private static final int UBYTE = 0x08;
    /** Refuse absurd headers before allocating: the largest set read here (Fashion-MNIST train) has 60,000 images. */
    private static final long MAX_BYTES = 1L << 30;

    private Idx() {
    }

    /** Reads an images file and its labels file; pixels 0..255 are scaled to [0, 1]. */
    public static LabelledImages read(Path images, Path labels, int classes) throws IOException {
        try (DataInputStream img = open(images); DataInputStream lab = open(labels)) {
            int[] imgDims = header(img, images, 3);
            int[] labDims = header(lab, labels, 1);
            if (imgDims[0] != labDims[0]) {
                throw new DatasetFormatException(images + " holds " + imgDims[0] + " images but " + labels + " "
                        + labDims[0] + " labels");
            }
            int n = imgDims[0];
            int rows = imgDims[1];
            int cols = imgDims[2];
            if ((long) n * rows * cols > MAX_BYTES) {
                throw new DatasetFormatException(images + ": " + n + "x" + rows + "x" + cols + " exceeds " + MAX_BYTES + " bytes");
            }
            List<float[]> pixels = new ArrayList<>(n);
            byte[] buf = new byte[rows * cols];
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                fill(img, buf, images, i);
                float[] x = new float[buf.length];
                for (int j = 0; j < buf.length; j++) {
                    x[j] = (buf[j] & 0xff) / 255f;
                }
                pixels.add(x);
                int label = lab.read();
                if (label < 0) {
                    throw new DatasetFormatException(labels + ": truncated at label " + i + " of " + n);
                }
                if (label >= classes) {
                    throw new DatasetFormatException(labels + ": label " + label + " at " + i + " is not in [0, " + classes + ")");
                }
                y[i] = label;
            }
            return new LabelledImages(images.getFileName().toString(), cols, rows, pixels, y, classes);
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        return new DataInputStream(file.toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in);
    }

    private static int[] header(DataInputStream in, Path file, int dims) throws IOException {
        int magic;
        try {
            magic = in.readInt();
        } catch (EOFException e) {
            throw new DatasetFormatException(file + ": shorter than an IDX header");
        }
        if ((magic >>> 16) != 0 || ((magic >>> 8) & 0xff) != UBYTE || (magic & 0xff) != dims) {
            throw new DatasetFormatException(String.format("%s: IDX magic 0x%08x, expected 0x%08x (unsigned bytes, %d "
                    + "dimensions)", file, magic, (UBYTE << 8) | dims, dims));
        }
        int[] size = new int[dims];
        for (int i = 0; i < dims; i++) {
            try {
                size[i] = in.readInt();
            } catch (EOFException e) {
                throw new DatasetFormatException(file + ": truncated IDX header");
            }
            if (size[i] <= 0) {
                throw new DatasetFormatException(file + ": dimension " + i + " is " + size[i]);
            }
        }
        return size;
    }

    private static void fill(DataInputStream in, byte[] buf, Path file, int index) throws IOException {
        try {
            in.readFully(buf);
        } catch (EOFException e) {
            throw new DatasetFormatException(file + ": truncated at image " + index);
        }
    }
}
