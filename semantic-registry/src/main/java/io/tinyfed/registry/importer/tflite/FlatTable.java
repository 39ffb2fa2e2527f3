package io.tinyfed.registry.importer.tflite;

import com.google.flatbuffers.Table;
import java.nio.ByteBuffer;

/**
 * A generic FlatBuffers table accessor addressed by field id (vtable slot {@code 4 + 2 * id}), the
 * accessors {@code flatc} would generate for the few TFLite schema tables the reader needs.
 */
final class FlatTable extends Table {
    private FlatTable(int pos, ByteBuffer bb) {
        __reset(pos, bb);
    }

    static FlatTable root(ByteBuffer bb) {
        return new FlatTable(bb.getInt(bb.position()) + bb.position(), bb);
    }

    private int slot(int field) {
        return __offset(4 + 2 * field);
    }

    boolean has(int field) {
        return slot(field) != 0;
    }

    int int32(int field, int fallback) {
        int o = slot(field);
        return o == 0 ? fallback : bb.getInt(o + bb_pos);
    }

    long uint32(int field) {
        int o = slot(field);
        return o == 0 ? 0 : Integer.toUnsignedLong(bb.getInt(o + bb_pos));
    }

    long uint64(int field) {
        int o = slot(field);
        return o == 0 ? 0 : bb.getLong(o + bb_pos);
    }

    byte int8(int field, byte fallback) {
        int o = slot(field);
        return o == 0 ? fallback : bb.get(o + bb_pos);
    }

    String string(int field) {
        int o = slot(field);
        return o == 0 ? null : __string(o + bb_pos);
    }

    FlatTable table(int field) {
        int o = slot(field);
        return o == 0 ? null : new FlatTable(__indirect(o + bb_pos), bb);
    }

    /**
     * The length of a vector field; a length that is negative or runs past the end of the file
     * (elements are at least one byte) is corruption, reported before anything is allocated for it.
     */
    int length(int field) {
        int o = slot(field);
        if (o == 0) {
            return 0;
        }
        int n = __vector_len(o);
        if (n < 0 || (long) __vector(o) + n > bb.limit()) {
            throw new IndexOutOfBoundsException("a vector of " + n + " elements runs past the end of the file");
        }
        return n;
    }

    FlatTable tableAt(int field, int i) {
        int o = slot(field);
        return new FlatTable(__indirect(__vector(o) + i * 4), bb);
    }

    int intAt(int field, int i) {
        return bb.getInt(__vector(slot(field)) + i * 4);
    }
}
