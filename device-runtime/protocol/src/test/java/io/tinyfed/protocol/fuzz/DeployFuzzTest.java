package io.tinyfed.protocol.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tinyfed.protocol.ProtocolException;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.WireCodec;
import java.util.Map;

/**
 * Deploy (with its inline snapshot, parsed before the signature is checked) and deployment status:
 * the same bytes through both decoders and the rollout-id peek a device uses to report a refusal.
 */
class DeployFuzzTest {
    private static final SnapshotVerifier NOBODY = new SnapshotVerifier(Map.of());

    @FuzzTest
    void decode(byte[] bytes) {
        try {
            WireCodec.decodeDeploy(bytes, "dev-1", NOBODY);
        } catch (ProtocolException refused) {
            // refused with a reason
        }
        try {
            WireCodec.decodeDeploymentStatus(bytes);
        } catch (ProtocolException refused) {
            // refused with a reason
        }
        WireCodec.unverifiedRolloutId(bytes);
    }
}
