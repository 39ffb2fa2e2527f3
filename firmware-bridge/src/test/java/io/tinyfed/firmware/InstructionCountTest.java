package io.tinyfed.firmware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.TrainingConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Cortex-M4 instruction counter is a clock that can be trusted: on QEMU with {@code -icount shift=0} it counts a
 * loop of known length exactly, and the same model gives the same counts twice (QEMU's instruction count is
 * deterministic), a training step costing more than the inference it contains; and the DSP kernels compute what the
 * reference kernels compute, on the Cortex-M4, after 64 training steps.
 */
class InstructionCountTest {
    @Test
    void theCounterCountsAKnownLoopExactly_andRepeats(@TempDir Path dir) throws Exception {
        assumeTrue(Toolchain.runs(List.of("arm-none-eabi-gcc", "--version")) && Toolchain.runs(List.of("qemu-system-arm",
                "--version")), "no arm-none-eabi-gcc or qemu-system-arm here; .ci/run installs them");
        TrainingConfig config = TrainingConfig.builder().learningRate(0.02f).seed(1).build();
        ParityCheck.Case sine = ParityCheck.sineCase("sine", Layer.Kind.TANH, config);
        Model s16 = ParityCheck.model(sine, ParityCheck.samples(sine, 64, 1));

        InstructionCount first = InstructionCount.measure(s16, config, InstructionCount.Kernels.REFERENCE, dir.resolve("a"));
        InstructionCount again = InstructionCount.measure(s16, config, InstructionCount.Kernels.REFERENCE, dir.resolve("b"));
        InstructionCount optimized = InstructionCount.measure(s16, config, InstructionCount.Kernels.OPTIMIZED,
                dir.resolve("c"));
        InstructionCount withResidual = InstructionCount.measure(s16, config.toBuilder().uplinkResidual(true).build(),
                InstructionCount.Kernels.OPTIMIZED, dir.resolve("d"));

        assertThat(first.calibrationMeasured()).isEqualTo(first.calibrationExpected()).isEqualTo(200_000);
        assertThat(again).isEqualTo(first);
        assertThat(first.model()).isEqualTo("mlp-1-40-40-1");
        assertThat(first.macs()).isEqualTo(40 + 40 * 40 + 40);
        assertThat(first.trainStepInstructions()).isGreaterThan(first.inferInstructions());
        assertThat(first.inferInstructions()).isGreaterThan(first.macs()); // at least one instruction per MAC
        assertThat(optimized.state()).as("the DSP kernels leave the reference's parameters, scales and counters")
                .isEqualTo(first.state());
        assertThat(first.compressInstructions()).isEqualTo(-1);
        assertThat(withResidual.state()).as("a residual in the arena changes no training").isEqualTo(optimized.state());
        // some 36 passes over the 1,761 values: more than a training step, far less than a round of them
        assertThat(withResidual.compressInstructions()).isGreaterThan(first.trainStepInstructions())
                .isLessThan(100L * first.trainStepInstructions());
    }
}
