package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.strategy.ReptileStrategy;
import io.tinyfed.coordinator.strategy.Selection;
import io.tinyfed.core.Model;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.firmware.EmulatedMcu;
import io.tinyfed.firmware.FirmwareImage;
import io.tinyfed.firmware.Toolchain;
import io.tinyfed.firmware.serial.SerialBridge;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.TrustedKeys;
import io.tinyfed.simulators.tasks.SineFamily;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * TinyFed's firmware image, built with arm-none-eabi-gcc, boots on QEMU's MPS2 AN386 (a Cortex-M4 board) and joins
 * three federated rounds of a real coordinator over its UART, beside a host build of the same device loop with the
 * same samples: both are selected every round and adapt at the task's learning rate (not the exported one), their updates are accepted, the parameters the emulated MCU adapts
 * are bit-exact to the host build's and to the Java S16 engine's on the same samples in every round (each round loads
 * the new meta-model, which restarts the rounding generator from its seed on the device as in the Java engine).
 */
class QemuFirmwareEndToEndTest {
    private static final int ROUNDS = 3;
    /** The rounds' learning rate; the firmware is exported with 0.02, and adapts at the task's. */
    private static final float TASK_RATE = 0.05f;
    @RegisterExtension
    final ProcessLogs logs = new ProcessLogs();

    private static void assumeToolchains() {
        try {
            Toolchain.ensureInstalled(List.of("arm-none-eabi-gcc", "--version"), "gcc-arm-none-eabi libnewlib-arm-none-eabi");
            Toolchain.ensureInstalled(List.of("qemu-system-arm", "--version"), "qemu-system-arm");
        } catch (IOException | InterruptedException e) {
            assumeTrue(false, "no Arm toolchain or QEMU here (" + e.getMessage() + "); .ci/run installs them");
        }
    }

    /**
     * What the device loop does with a task, in the Java S16 engine: {@code steps} training steps at the task's
     * learning rate (seed 3, as exported, from the seeded stochastic-rounding generator, as the device's is after
     * loading the round's model) cycling over its 10 samples, {@code amplitude * sin(x + phase)} with x from its
     * xorshift generator.
     */
    private static Model javaAdaptation(Model base, int steps, double amplitude, double phase, int seed) {
        int rng = seed | 1;
        float[][] xs = new float[10][1];
        float[][] ys = new float[10][1];
        for (int k = 0; k < 10; k++) {
            rng ^= rng << 13;
            rng ^= rng >>> 17;
            rng ^= rng << 5;
            xs[k][0] = (float) (Integer.remainderUnsigned(rng, 10000) / 1000.0 - 5.0);
            ys[k][0] = (float) (amplitude * Math.sin(xs[k][0] + phase));
        }
        io.tinyfed.core.Network net = io.tinyfed.core.Network.prepare(base, TrainingConfig.builder().learningRate(TASK_RATE)
                .seed(3).build());
        for (int s = 0; s < steps; s++) {
            net.trainStep(xs[s % 10], ys[s % 10]);
        }
        return net.snapshot();
    }

    @Test
    void theEmulatedCortexM4_joinsThreeRounds_andAdaptsBitExactlyLikeTheHostBuild(@TempDir Path dir) throws Exception {
        assumeToolchains();
        Model init = Model.initialize(SineFamily.ARCHITECTURE, 41);
        try (VirtualMcus host = new VirtualMcus(dir.resolve("host"), init, logs);
             Coordinator c = Coordinator.builder().fleet("qemu").store(dir.resolve("store")).initialModel(init)
                     .rounds(new RoundEngine.Settings("sine", 16, TASK_RATE, 10, Duration.ofSeconds(60), 1.0, 2, 1e3, 7))
                     .strategy(new ReptileStrategy(1.0, false, ROUNDS, Selection.count(2))).brokerPort(0).sparqlPort(-1)
                     .start()) {
            // the same S16 model, training configuration and samples as the host build (VirtualMcus exports with these)
            FirmwareImage image = FirmwareImage.build(host.firmware(), TrainingConfig.builder().learningRate(0.02f).seed(3)
                    .build(), new FirmwareImage.Device("mcu-arm", 2.0, 0.5, 1), dir.resolve("arm"));
            assertThat(image.flashBytes()).isPositive().isLessThan(1 << 20);
            assertThat(image.ramBytes()).isLessThan(256 << 10);
            logs.add(dir.resolve("arm").resolve("qemu.log"));
            logs.add(dir.resolve("arm").resolve("uart1.log"));
            SnapshotVerifier verifier = new SnapshotVerifier(TrustedKeys.read(c.trustFile()));
            try (EmulatedMcu mcu = EmulatedMcu.boot(image, dir.resolve("arm"));
                 SerialBridge arm = new SerialBridge(mcu.in(), mcu.out(), c.brokerUri(), "qemu", verifier, host.firmware(),
                         "gateway-qemu").start()) {
                SerialBridge native_ = host.start("mcu-host", 2.0, 0.5, 1, c.brokerUri(), "qemu", verifier, "gateway-host",
                        false);
                await().atMost(Duration.ofSeconds(60)).until(() -> c.engine().eligible().size() == 2);
                assertThat(c.engine().devices().get("mcu-arm").cpu()).isEqualTo("cortex-m4");
                c.startRun(ROUNDS);
                assertThat(c.awaitRun(Duration.ofMinutes(3))).as("%d rounds closed", ROUNDS).isTrue();

                assertThat(c.engine().history()).hasSize(ROUNDS).allSatisfy(s -> {
                    assertThat(s.accepted()).containsExactlyInAnyOrder("mcu-arm", "mcu-host");
                    assertThat(s.newVersion()).isPositive();
                });
                assertThat(c.engine().rejectedTotals()).isEmpty();
                assertThat(arm.updatesPublished()).isEqualTo(ROUNDS);
                for (RoundEngine.RoundSummary s : c.engine().history()) {
                    Model onArm = arm.adapted(s.round()).orElseThrow();
                    Model onHost = native_.adapted(s.round()).orElseThrow();
                    assertThat(onArm).as("round %d: the Cortex-M4's adapted model is the host build's", s.round())
                            .isEqualTo(onHost);
                    Model base = arm.toFirmware(c.store().load(c.store().version("sine", s.baseVersion()).orElseThrow()));
                    assertThat(onArm).as("round %d: it adapted", s.round()).isNotEqualTo(base);
                }
                // the stack painted at reset, its deepest use reported when the line goes quiet after the rounds
                java.util.regex.Pattern water = java.util.regex.Pattern.compile("stack high-water (\\d+) B");
                await().atMost(Duration.ofSeconds(20)).until(() -> water.matcher(java.nio.file.Files.readString(
                        mcu.uartLog())).find());
                java.util.regex.Matcher m = water.matcher(java.nio.file.Files.readString(mcu.uartLog()));
                long used = 0;
                while (m.find()) {
                    used = Long.parseLong(m.group(1));
                }
                assertThat(used).as("stack high-water mark").isBetween(64L, 8192L);
                System.out.printf("emulated Cortex-M4: flash %d B, RAM %d B + stack high-water %d B%n", image.flashBytes(),
                        image.ramBytes(), used);
                for (RoundEngine.RoundSummary s : c.engine().history()) {
                    Model base = arm.toFirmware(c.store().load(c.store().version("sine", s.baseVersion()).orElseThrow()));
                    assertThat(arm.adapted(s.round()).orElseThrow())
                            .as("round %d on the Cortex-M4 and in the Java S16 engine", s.round())
                            .isEqualTo(javaAdaptation(base, 16, 2.0, 0.5, 1));
                }
            }
        }
    }
}
