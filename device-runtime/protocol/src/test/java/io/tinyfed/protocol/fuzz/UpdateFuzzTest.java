package io.tinyfed.protocol.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.WireCodec;

/** Model updates, the largest messages a device sends. */
class UpdateFuzzTest {
    @FuzzTest
    void decode(byte[] bytes) {
        try {
            WireCodec.decodeUpdate(bytes);
        } catch (ProtocolException refused) {
            // a refusal with a reason is the contract
        }
    }
}
