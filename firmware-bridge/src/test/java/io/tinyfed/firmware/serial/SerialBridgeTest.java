package io.tinyfed.firmware.serial;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.Quantizer;
import io.tinyfed.protocol.SnapshotSigner;
import io.tinyfed.protocol.SnapshotVerifier;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the gateway refuses on the serial side without involving the coordinator. */
class SerialBridgeTest {
    private static final Architecture FIRMWARE = Architecture.mlp(Layer.Kind.TANH, 1, 8, 1);

    @Test
    void aVersionOfAnotherArchitecture_isUnfitWithTheReason() throws Exception {
        try (SerialBridge b = bridge(new PipedInputStream(), new PipedOutputStream())) {
            assertThat(b.unfit(Model.initialize(FIRMWARE, 2))).isNull();
            assertThat(b.unfit(Model.initialize(Architecture.mlp(Layer.Kind.TANH, 1, 16, 1), 2)))
                    .contains("this MCU's firmware runs").contains("the version is");
        }
    }

    /** A DEPLOYMENT frame before any deploy, or a truncated one, is refused and counted; nothing is published. */
    @Test
    void deploymentFramesFromTheMcu_withoutADeployOrTruncated_areRefusedAndCounted() throws Exception {
        try (Line line = Line.open()) {
            SerialBridge b = line.bridge();
            SerialLink mcu = line.mcu();
            assertThat(mcu.send(Frames.DEPLOYMENT, new byte[] {2, 1, 0, 0, 0})).isTrue();
            assertThat(mcu.send(Frames.DEPLOYMENT, new byte[26 + 1])).isTrue();
            line.awaitRefused(2);
            assertThat(b.refusedFromDevice()).isEqualTo(2);
            assertThat(b.deployment()).isEmpty();
        }
    }

    /** Compressed updates that are truncated, or answer no task, are refused and counted; nothing is published. */
    @Test
    void compressedUpdatesFromTheMcu_truncatedOrForNoTask_areRefusedAndCounted() throws Exception {
        try (Line line = Line.open()) {
            SerialBridge b = line.bridge();
            SerialLink mcu = line.mcu();
            assertThat(mcu.send(Frames.UPDATE_S8, new byte[] {7, 0, 0})).isTrue();
            // round 7, chunk 0 of 1: a header and one sent value, but no task of round 7 reached this gateway
            java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(8 + 16 + 2 + 1 + 3).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            one.putInt(7).putShort((short) 0).putShort((short) 1).putInt(1).putInt(10).putFloat(1f).putFloat(0.5f)
                    .putShort((short) 1).put((byte) 3).putShort((short) 4).put((byte) 100);
            assertThat(mcu.send(Frames.UPDATE_S8, one.array())).isTrue();
            line.awaitRefused(2);
            assertThat(b.refusedFromDevice()).isEqualTo(2);
            assertThat(b.updatesPublished()).isZero();
            assertThat(b.compressedFromMcu()).isZero();
        }
    }

    /** A started bridge and a test MCU's end of the serial line to it, over pipes. */
    private record Line(SerialBridge bridge, SerialLink mcu) implements AutoCloseable {
        static Line open() throws Exception {
            PipedInputStream bridgeIn = new PipedInputStream(1 << 16);
            PipedOutputStream fromMcu = new PipedOutputStream(bridgeIn);
            PipedInputStream mcuIn = new PipedInputStream(1 << 16);
            PipedOutputStream toMcu = new PipedOutputStream(mcuIn);
            SerialBridge b = SerialBridgeTest.bridge(bridgeIn, toMcu).start();
            try {
                return new Line(b, new SerialLink(mcuIn, fromMcu, f -> { }, Duration.ofMillis(200), 10).start());
            } catch (Exception | Error e) {
                b.close();
                throw e;
            }
        }

        /** Waits up to 10 s for the bridge to have refused {@code n} frames from the MCU. */
        void awaitRefused(long n) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (bridge.refusedFromDevice() < n && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }

        @Override
        public void close() throws Exception {
            try (SerialBridge b = bridge; SerialLink m = mcu) {
                // closed in reverse order: the MCU's end first, as before
            }
        }
    }

    private static SerialBridge bridge(PipedInputStream in, PipedOutputStream out) throws Exception {
        var keys = SnapshotSigner.generateKeyPair();
        SnapshotVerifier verifier = new SnapshotVerifier(Map.of("coordinator", keys.getPublic()));
        Model firmware = Quantizer.toS16(Model.initialize(FIRMWARE, 1), List.of(new float[] {-5f}, new float[] {5f}));
        return new SerialBridge(in, out, "tcp://127.0.0.1:1", "f", verifier, firmware, "gw");
    }
}
