package io.tinyfed.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tinyfed.core.ModelCodec;
import io.tinyfed.core.ModelFormatException;

/**
 * The model file format, read from files and inside snapshots: any bytes give a model or a
 * {@link ModelFormatException}, never another exception, an endless loop or an allocation the
 * bytes do not pay for.
 */
class ModelCodecFuzzTest {
    @FuzzTest
    void decode(byte[] bytes) {
        try {
            ModelCodec.decode(bytes);
        } catch (ModelFormatException refused) {
            // a refusal with a reason is the contract
        }
    }
}
