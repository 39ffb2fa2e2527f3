package io.tinyfed.firmware;

import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.export.CExport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cortex-M4 instructions per {@code tf_infer_s16} and per {@code tf_train_step_s16} of an exported model, counted on
 * QEMU's MPS2 AN386 with {@code -icount shift=0} ({@code icount_mps2.c}: SysTick read around each of 64 calls, one tick
 * per 40 instructions there, the reads' own cost taken off). Instructions executed, not cycles: QEMU does not model
 * the pipeline, wait states or the cost of a multiply. Built with arm-none-eabi-gcc {@code -O2} for the Cortex-M4
 * with FPU.
 *
 * @param inferInstructions     per inference, mean of 64
 * @param trainStepInstructions per training step (its forward pass included), mean of 64
 * @param calibrationMeasured   the count the clock gave for a loop of {@code calibrationExpected} instructions
 * @param macs                  multiply-accumulates of one inference's dense layers
 * @param state                 a hash of the parameters, scales and counters the 64 steps left: equal for two builds
 *                              that compute the same
 * @param compressInstructions  one {@code tf_compress_s16} of the trained model against the exported one, top 10%, when
 *                              the config plans a residual ({@link TrainingConfig#uplinkResidual()}); -1 otherwise
 */
public record InstructionCount(String model, Kernels kernels, long inferInstructions, long trainStepInstructions,
                               long calibrationMeasured, long calibrationExpected, long macs, String state,
                               long compressInstructions) {
    /**
     * Which C kernels the runtime is built with: the plain C reference, or the Cortex-M DSP path (SMLALD dual
     * multiply-accumulates) that must equal it bit for bit.
     */
    public enum Kernels {
        REFERENCE, OPTIMIZED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** MACs of one inference per instruction it takes. */
    public double macsPerInstruction() {
        return (double) macs / inferInstructions;
    }

    /** Builds the harness for {@code s16} laid out for {@code config} in {@code dir} and counts on QEMU. */
    public static InstructionCount measure(Model s16, TrainingConfig config, Kernels kernels, Path dir)
            throws IOException, InterruptedException {
        Footprint.ensureToolchain();
        Toolchain.ensureInstalled(List.of("qemu-system-arm", "--version"), "qemu-system-arm");
        CExport.export(s16, "model", dir, config);
        for (String f : List.of("icount_mps2.c", "startup_m4.c", "mps2_an386.ld")) {
            Toolchain.copyResource(f, dir);
        }
        List<String> cc = new ArrayList<>(List.of("arm-none-eabi-gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                "-ffunction-sections", "-fdata-sections", "--specs=nano.specs", "-nostartfiles", "-T", "mps2_an386.ld",
                "-Wl,--gc-sections", "-o", "icount.elf"));
        cc.addAll(FirmwareImage.CPU);
        if (kernels == Kernels.REFERENCE) {
            cc.add("-DTF_REFERENCE_KERNELS");
        }
        cc.addAll(List.of("startup_m4.c", "icount_mps2.c", "model.c", "tinyfed.c", "tinyfed_tables.c", "-lm"));
        Toolchain.run(dir, null, cc);
        String out = Toolchain.run(dir, null, List.of("qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
                "-icount", "shift=0", "-semihosting-config", "enable=on,target=native", "-serial", "stdio", "-kernel",
                "icount.elf"));
        Map<String, String[]> lines = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(" ");
            lines.put(f[0], f);
        }
        if (lines.containsKey("error") || !lines.containsKey("infer") || !lines.containsKey("train")
                || !lines.containsKey("state") || config.uplinkResidual() != lines.containsKey("compress")) {
            throw new IOException("the instruction-count harness failed: " + out.strip());
        }
        long macs = 0;
        for (Layer l : s16.architecture().layers()) {
            if (l instanceof Layer.Dense d) {
                macs += (long) d.in() * d.out();
            }
        }
        return new InstructionCount(s16.architecture().name(), kernels, Long.parseLong(lines.get("infer")[1]),
                Long.parseLong(lines.get("train")[1]), Long.parseLong(lines.get("calibration")[1]),
                Long.parseLong(lines.get("calibration")[2]), macs, lines.get("state")[1],
                lines.containsKey("compress") ? Long.parseLong(lines.get("compress")[1]) : -1);
    }
}
