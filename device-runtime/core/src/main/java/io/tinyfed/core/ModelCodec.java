package io.tinyfed.core;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The compact, versioned binary form of a {@link Model}: what goes into snapshots, the model store
 * and the C export. Little-endian (the byte order of every MCU TinyFed targets):
 *
 * <pre>
 * offset  size  field
 * 0       4     magic "TFMD"
 * 4       2     codec version (1)
 * 6       1     number format (0 = F32, 1 = S16)
 * 7       1     reserved, 0
 * 8       2     layer count L (1..256)
 * 10      ...   L layers: u8 kind (0 Dense, 1 Conv1D, 2 ReLU, 3 Tanh, 4 Sigmoid, 5 Softmax) then
 *               u32 dims: Dense in,out; Conv1D length,inChannels,filters,kernel; activation size
 * ...     ...   S16 only: u8 input frac, u8 output frac per parametrised layer, u8 frac per tensor
 * ...     4     parameter count P (must equal the architecture's)
 * ...     4P|2P parameters: F32 IEEE-754 binary32, S16 int16
 * end-4   4     CRC-32 (IEEE, java.util.zip.CRC32) of every preceding byte
 * </pre>
 *
 * Decoding checks the size limit, then the CRC, then every field; it either returns a complete
 * model or throws {@link ModelFormatException} with the reason.
 */
public final class ModelCodec {
    public static final int MAGIC = 0x444D4654; // "TFMD" read little-endian
    public static final int VERSION = 1;
    /** Default largest encoded model accepted: 4 MiB, far above any MCU-sized model. */
    public static final int DEFAULT_MAX_BYTES = 4 << 20;
    private static final int MAX_LAYERS = 256;
    private static final int MAX_DIM = 1 << 20;

    private ModelCodec() {
    }

    public static byte[] encode(Model model) {
        Architecture a = model.architecture();
        boolean s16 = model.format() == NumberFormat.S16;
        int size = 4 + 2 + 1 + 1 + 2;
        for (Layer l : a.layers()) {
            size += 1 + 4 * dims(l).length;
        }
        if (s16) {
            size += 1 + a.parametrizedLayerCount() + a.tensorCount();
        }
        size += 4 + model.parameterCount() * model.format().bytesPerElement() + 4;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort((short) VERSION).put((byte) (s16 ? 1 : 0)).put((byte) 0);
        b.putShort((short) a.size());
        for (Layer l : a.layers()) {
            b.put((byte) kindCode(l));
            for (int d : dims(l)) {
                b.putInt(d);
            }
        }
        if (s16) {
            b.put((byte) model.inputFrac());
            for (int k = 0; k < a.parametrizedLayerCount(); k++) {
                b.put((byte) model.outputFrac(k));
            }
            for (int t = 0; t < a.tensorCount(); t++) {
                b.put((byte) model.tensorFrac(t));
            }
        }
        b.putInt(model.parameterCount());
        if (s16) {
            for (short v : model.s16Unsafe()) {
                b.putShort(v);
            }
        } else {
            for (float v : model.f32Unsafe()) {
                b.putFloat(v);
            }
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    public static Model decode(byte[] bytes) throws ModelFormatException {
        return decode(bytes, DEFAULT_MAX_BYTES);
    }

    /** Decodes, refusing input longer than {@code maxBytes} before looking at it. */
    public static Model decode(byte[] bytes, int maxBytes) throws ModelFormatException {
        if (bytes.length > maxBytes) {
            throw new ModelFormatException("encoded model is " + bytes.length + " B, limit " + maxBytes + " B");
        }
        if (bytes.length < 18) {
            throw new ModelFormatException("truncated: " + bytes.length + " B is shorter than the smallest model");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != MAGIC) {
            throw new ModelFormatException("bad magic: not a TinyFed model");
        }
        int version = b.getShort() & 0xFFFF;
        if (version != VERSION) {
            throw new ModelFormatException("unsupported codec version " + version + " (this runtime reads " + VERSION + ")");
        }
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 4);
        int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if ((int) crc.getValue() != stored) {
            throw new ModelFormatException(String.format("checksum mismatch: stored %08x, computed %08x (corrupt or truncated)",
                    stored, (int) crc.getValue()));
        }
        try {
            return parseBody(b, bytes.length - 4);
        } catch (BufferUnderflowException e) {
            throw new ModelFormatException("truncated: a field runs past the end of the model");
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("invalid model: " + e.getMessage());
        }
    }

    private static Model parseBody(ByteBuffer b, int end) throws ModelFormatException {
        b.limit(end);
        int format = b.get();
        if (format != 0 && format != 1) {
            throw new ModelFormatException("unknown number format code " + format);
        }
        if (b.get() != 0) {
            throw new ModelFormatException("reserved byte is not 0");
        }
        int layerCount = b.getShort() & 0xFFFF;
        if (layerCount < 1 || layerCount > MAX_LAYERS) {
            throw new ModelFormatException("layer count " + layerCount + " outside [1, " + MAX_LAYERS + "]");
        }
        List<Layer> layers = new ArrayList<>(layerCount);
        int current = -1;
        for (int i = 0; i < layerCount; i++) {
            int kind = b.get();
            Layer layer = switch (kind) {
                case 0 -> new Layer.Dense(dim(b), dim(b));
                case 1 -> new Layer.Conv1D(dim(b), dim(b), dim(b), dim(b));
                case 2, 3, 4, 5 -> new Layer.Activation(Layer.Kind.values()[kind - 2], dim(b));
                default -> throw new ModelFormatException("layer " + i + " has unknown kind " + kind);
            };
            if ((long) layer.weightCount() + layer.inputSize() + layer.outputSize() > (long) MAX_DIM * 64) {
                throw new ModelFormatException("layer " + i + " is too large");
            }
            layers.add(layer);
            current = layer.outputSize();
        }
        assert current > 0;
        Architecture a = Architecture.of(layers);
        boolean s16 = format == 1;
        int inputFrac = 0;
        int[] outputFrac = null;
        int[] tensorFrac = null;
        if (s16) {
            inputFrac = b.get();
            outputFrac = new int[a.parametrizedLayerCount()];
            for (int k = 0; k < outputFrac.length; k++) {
                outputFrac[k] = b.get();
            }
            tensorFrac = new int[a.tensorCount()];
            for (int t = 0; t < tensorFrac.length; t++) {
                tensorFrac[t] = b.get();
            }
        }
        int count = b.getInt();
        if (count != a.parameterCount()) {
            throw new ModelFormatException("parameter count " + count + " does not match the architecture's "
                    + a.parameterCount());
        }
        long needed = (long) count * (s16 ? 2 : 4);
        if (b.remaining() != needed) {
            throw new ModelFormatException("expected " + needed + " parameter bytes, found " + b.remaining());
        }
        if (s16) {
            short[] p = new short[count];
            b.asShortBuffer().get(p);
            return Model.ofS16(a, p, tensorFrac, inputFrac, outputFrac);
        }
        float[] p = new float[count];
        b.asFloatBuffer().get(p);
        return Model.ofF32(a, p);
    }

    private static int dim(ByteBuffer b) throws ModelFormatException {
        int d = b.getInt();
        if (d < 1 || d > MAX_DIM) {
            throw new ModelFormatException("layer dimension " + d + " outside [1, " + MAX_DIM + "]");
        }
        return d;
    }

    private static int kindCode(Layer l) {
        if (l instanceof Layer.Dense) {
            return 0;
        }
        if (l instanceof Layer.Conv1D) {
            return 1;
        }
        return 2 + ((Layer.Activation) l).kind().ordinal();
    }

    private static int[] dims(Layer l) {
        if (l instanceof Layer.Dense d) {
            return new int[] {d.in(), d.out()};
        }
        if (l instanceof Layer.Conv1D c) {
            return new int[] {c.length(), c.inChannels(), c.filters(), c.kernel()};
        }
        return new int[] {l.inputSize()};
    }
}
