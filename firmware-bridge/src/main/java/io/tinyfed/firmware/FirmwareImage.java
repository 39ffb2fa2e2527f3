package io.tinyfed.firmware;

import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.export.CExport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Cortex-M4 firmware image of TinyFed's serial device loop for the MPS2 AN386 board (what QEMU's {@code mps2-an386}
 * models): the exported runtime and model, the device loop ({@code mcu_loop.c}), the board's UART and SysTick
 * ({@code firmware_mps2.c}), the project's own start-up code and linker script, newlib-nano and libm; no heap. Built
 * with arm-none-eabi-gcc (Debian gcc-arm-none-eabi and libnewlib-arm-none-eabi, installed with apt-get when missing
 * and the process may install).
 *
 * @param elf        the image
 * @param arenaBytes one model arena (the device loop holds three: serving, shadow, training)
 * @param text       flash: code and constants
 * @param data       initialised data (in flash, copied to RAM at reset)
 * @param bss        zeroed RAM (arenas, model slots, buffers), the stack not included
 */
public record FirmwareImage(Path elf, long arenaBytes, long text, long data, long bss) {
    /** The Cortex-M4 build: Thumb-2, FPU (single precision), hard-float calling convention. */
    public static final List<String> CPU = List.of("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16");

    /**
     * The identity and sensor of one device: its id (its hello and its broker user) and the sine task its samples
     * follow, {@code amplitude * sin(x + phase)} with x drawn from a xorshift generator seeded with {@code seed}.
     */
    public record Device(String id, double amplitude, double phase, long seed) {
        public Device {
            if (!id.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException("device id '" + id + "': 1-64 letters, digits, '.', '_' or '-'");
            }
            if (!Double.isFinite(amplitude) || !Double.isFinite(phase) || seed < 0 || seed > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("amplitude and phase must be finite, the seed a 32-bit unsigned number");
            }
        }
    }

    /** Flash of the image: code, constants and the initial values of data. */
    public long flashBytes() {
        return text + data;
    }

    /** RAM of the image without its stack: data and bss. */
    public long ramBytes() {
        return data + bss;
    }

    /**
     * Exports {@code s16} laid out for {@code config} into {@code dir} and builds {@code dir/firmware.elf} for
     * {@code device}.
     *
     * @throws IllegalArgumentException if the model is not S16 or the exporter refuses it
     * @throws IOException              if the toolchain is missing and cannot be installed, or the build fails
     */
    public static FirmwareImage build(Model s16, TrainingConfig config, Device device, Path dir)
            throws IOException, InterruptedException {
        if (s16.format() != NumberFormat.S16) {
            throw new IllegalArgumentException("the firmware runs S16 models; quantise first (tinyfed export c does)");
        }
        Footprint.ensureToolchain();
        Files.createDirectories(dir);
        long arena = CExport.export(s16, "model", dir, config);
        Toolchain.copyDeviceLoop(dir, "firmware_mps2.c", "startup_m4.c", "mps2_an386.ld");
        List<String> cmd = new ArrayList<>(List.of("arm-none-eabi-gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                "-ffunction-sections", "-fdata-sections", "--specs=nano.specs", "-nostartfiles", "-T", "mps2_an386.ld",
                "-Wl,--gc-sections", "-o", "firmware.elf"));
        cmd.addAll(CPU);
        cmd.add("-DTF_DEVICE_ID=\"" + device.id() + "\"");
        cmd.add(String.format(Locale.ROOT, "-DTF_AMPLITUDE=%.17g", device.amplitude()));
        cmd.add(String.format(Locale.ROOT, "-DTF_PHASE=%.17g", device.phase()));
        cmd.add("-DTF_SEED=" + device.seed() + "u");
        cmd.addAll(List.of("startup_m4.c", "firmware_mps2.c", "mcu_loop.c", "model.c", "tinyfed.c", "tinyfed_tables.c",
                "tinyfed_serial.c", "-lm"));
        Toolchain.run(dir, null, cmd);
        String[] size = Toolchain.run(dir, null, List.of("arm-none-eabi-size", "firmware.elf")).split("\n")[1].trim()
                .split("\\s+");
        return new FirmwareImage(dir.resolve("firmware.elf"), arena, Long.parseLong(size[0]), Long.parseLong(size[1]),
                Long.parseLong(size[2]));
    }
}
