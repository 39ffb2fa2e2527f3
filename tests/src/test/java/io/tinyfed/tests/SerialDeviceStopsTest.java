package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.core.Quantizer;
import io.tinyfed.firmware.serial.Frames;
import io.tinyfed.firmware.serial.SerialBridge;
import io.tinyfed.firmware.serial.SerialLink;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.TrustedKeys;
import io.tinyfed.simulators.tasks.SineFamily;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device that stops in the middle of a snapshot transfer: the bridge's send fails and is counted,
 * the device goes offline for the fleet, and the coordinator's round closes at its deadline with the
 * device as a straggler; no update, and so no corrupt one, reaches the coordinator.
 */
class SerialDeviceStopsTest {
    @Test
    void deviceStopsMidSnapshot_roundClosesWithAStragglerAndNoUpdate(@TempDir Path dir) throws Exception {
        Model init = Model.initialize(SineFamily.ARCHITECTURE, 41);
        Model firmware = Quantizer.toS16(init, List.of(new float[] {-5f}, new float[] {5f}));
        try (Coordinator c = Coordinator.builder().fleet("stop").store(dir).initialModel(init)
                .rounds(new RoundEngine.Settings("sine", 8, 0.02f, 10, Duration.ofSeconds(3), 1.0, 1, 1e3, 7))
                .strategy(new ReptileStrategy(1.0, false, 1, Selection.count(1))).brokerPort(0).withoutRegistry().start()) {
            c.startRun(1);
            // The "MCU": a serial link on pipes that says hello and stops in the middle of the first snapshot.
            PipedInputStream mcuIn = new PipedInputStream(1 << 16);
            PipedOutputStream toMcu = new PipedOutputStream(mcuIn);
            PipedInputStream bridgeIn = new PipedInputStream(1 << 16);
            PipedOutputStream fromMcu = new PipedOutputStream(bridgeIn);
            AtomicInteger chunks = new AtomicInteger();
            SerialLink[] mcu = new SerialLink[1];
            // The "MCU" goes silent at the first snapshot chunk and hangs up once the round that asks it is open: had it
            // hung up at once, the bridge would report it offline before the round could select it (a race that a
            // fresh-clone CI run lost).
            mcu[0] = new SerialLink(mcuIn, fromMcu, f -> {
                if (f.type() == Frames.SNAPSHOT && chunks.incrementAndGet() == 1) {
                    await().atMost(Duration.ofSeconds(20)).until(() -> c.engine().roundOpen());
                    mcu[0].close(); // the device stops: its line goes quiet mid-transfer
                }
            }, Duration.ofMillis(200), 10).start();
            SerialBridge bridge = new SerialBridge(bridgeIn, toMcu, c.brokerUri(), "stop",
                    new SnapshotVerifier(TrustedKeys.read(c.trustFile())), firmware, "gateway-2").start();
            try {
                assertThat(mcu[0].send(Frames.HELLO, hello("mcu-stop"))).isTrue();
                await().atMost(Duration.ofSeconds(20)).until(() -> chunks.get() >= 1);
                assertThat(c.awaitRun(Duration.ofSeconds(30))).isTrue();

                RoundEngine.RoundSummary s = c.engine().history().get(0);
                assertThat(s.newVersion()).isEqualTo(-1);
                assertThat(s.accepted()).isEmpty();
                assertThat(c.engine().rejectedTotals()).isEmpty();
                assertThat(bridge.updatesPublished()).isZero();
                await().atMost(Duration.ofSeconds(10)).until(() -> !c.engine().onlineDevices().contains("mcu-stop"));
            } finally {
                bridge.close();
                mcu[0].close();
            }
        }
    }

    private static byte[] hello(String id) {
        byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(262144).putInt(1 << 20).putShort((short) 80).put((byte) 2);
        b.put((byte) idBytes.length).put(idBytes);
        for (String s : new String[] {"test-mcu", "", "fw"}) {
            b.put((byte) s.length()).put(s.getBytes(StandardCharsets.UTF_8));
        }
        return java.util.Arrays.copyOf(b.array(), b.position());
    }
}
