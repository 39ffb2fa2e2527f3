package io.tinyfed.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tinyfed.core.ModelCodec;
import io.tinyfed.core.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

/**
 * The model format past its checksum: the fuzzer's bytes get a valid CRC-32 appended, so it
 * explores the layer, scale and parameter parsing that random bytes never reach.
 */
class ModelBodyFuzzTest {
    @FuzzTest
    void decode(byte[] body) {
        CRC32 crc = new CRC32();
        crc.update(body);
        byte[] bytes = ByteBuffer.allocate(body.length + 4).order(ByteOrder.LITTLE_ENDIAN).put(body)
                .putInt((int) crc.getValue()).array();
        try {
            ModelCodec.decode(bytes);
        } catch (ModelFormatException refused) {
            // a refusal with a reason is the contract
        }
    }
}
