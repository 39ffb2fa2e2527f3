package io.tinyfed.protocol.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.WireCodec;
import java.util.Map;

/** Hello, state, metrics, task and reject: the same bytes through every small-message decoder. */
class SmallMessagesFuzzTest {
    private static final SnapshotVerifier NOBODY = new SnapshotVerifier(Map.of());

    @FuzzTest
    void decode(byte[] bytes) {
        try {
            WireCodec.decodeHello(bytes);
        } catch (ProtocolException refused) {
            // refused with a reason
        }
        try {
            WireCodec.decodeState(bytes);
        } catch (ProtocolException refused) {
            // refused with a reason
        }
        try {
            WireCodec.decodeMetrics(bytes);
        } catch (ProtocolException refused) {
            // refused with a reason
        }
        try {
            WireCodec.decodeTask(bytes, "dev-1", NOBODY);
        } catch (ProtocolException refused) {
            // refused with a reason
        }
        try {
            WireCodec.decodeReject(bytes, NOBODY);
        } catch (ProtocolException refused) {
            // refused with a reason
        }
    }
}
