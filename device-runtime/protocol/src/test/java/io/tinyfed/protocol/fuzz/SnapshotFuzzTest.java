package io.tinyfed.protocol.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.WireCodec;

/** Model snapshots, which devices decode before they verify the signature. */
class SnapshotFuzzTest {
    @FuzzTest
    void decode(byte[] bytes) {
        try {
            WireCodec.decodeSnapshot(bytes);
        } catch (ProtocolException refused) {
            // a refusal with a reason is the contract
        }
    }
}
