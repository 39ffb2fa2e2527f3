package io.tinyfed.firmware;

import io.tinyfed.export.CExport;
import io.tinyfed.core.Model;
import io.tinyfed.core.TrainingConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Cortex-M4 footprint of the runtime and one exported model, built with arm-none-eabi-gcc (Debian
 * package gcc-arm-none-eabi, installed with apt-get when missing and the process may install).
 * Two figures: the objects alone (runtime, tables, model) and a linked probe firmware
 * ({@code footprint_main.c}: init, infer, train once; newlib startup with nosys stubs).
 *
 * @param objectsText  code + constants of the runtime, tables and model objects
 * @param objectsData  initialised data of those objects
 * @param firmwareText the linked probe's text (flash), including newlib startup and libm's floor
 * @param firmwareData the linked probe's initialised data (flash and RAM)
 * @param firmwareBss  the linked probe's zeroed RAM, including the arena
 */
public record Footprint(String model, long arenaBytes, long objectsText, long objectsData, long firmwareText,
                        long firmwareData, long firmwareBss) {
    private static final List<String> CPU = List.of("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16");

    /** Flash of a device image: text + data of the linked probe. */
    public long flashBytes() {
        return firmwareText + firmwareData;
    }

    /** RAM of a device image: data + bss of the linked probe (the arena is in bss). */
    public long ramBytes() {
        return firmwareData + firmwareBss;
    }

    public static Footprint cortexM4(String name, Model s16, TrainingConfig config, Path dir)
            throws IOException, InterruptedException {
        ensureToolchain();
        long arena = CExport.export(s16, "model", dir, config);
        Toolchain.copyResource("footprint_main.c", dir);
        List<String> sources = List.of("model.c", "tinyfed.c", "tinyfed_tables.c");
        List<String> compile = new ArrayList<>(List.of("arm-none-eabi-gcc", "-std=c99", "-Os", "-Wall", "-Wextra", "-Werror",
                "-ffunction-sections", "-fdata-sections", "-c"));
        compile.addAll(CPU);
        compile.addAll(sources);
        Toolchain.run(dir, null, compile);
        long[] objects = size(dir, List.of("model.o", "tinyfed.o", "tinyfed_tables.o"));
        List<String> link = new ArrayList<>(List.of("arm-none-eabi-gcc", "-std=c99", "-Os", "-ffunction-sections",
                "-fdata-sections", "-Wl,--gc-sections", "-specs=nosys.specs", "-o", "probe.elf", "footprint_main.c"));
        link.addAll(CPU);
        link.addAll(sources);
        link.add("-lm");
        Toolchain.run(dir, null, link);
        long[] firmware = size(dir, List.of("probe.elf"));
        return new Footprint(name, arena, objects[0], objects[1], firmware[0], firmware[1], firmware[2]);
    }

    /** Sums the text, data and bss columns of arm-none-eabi-size over {@code files}. */
    private static long[] size(Path dir, List<String> files) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("arm-none-eabi-size"));
        cmd.addAll(files);
        long[] sum = new long[3];
        for (String line : Toolchain.run(dir, null, cmd).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[0].matches("\\d+")) {
                for (int i = 0; i < 3; i++) {
                    sum[i] += Long.parseLong(f[i]);
                }
            }
        }
        return sum;
    }

    /** Installs gcc-arm-none-eabi with apt-get when it is missing (root only); fails with the command otherwise. */
    static void ensureToolchain() throws IOException, InterruptedException {
        Toolchain.ensureInstalled(List.of("arm-none-eabi-gcc", "--version"), "gcc-arm-none-eabi libnewlib-arm-none-eabi");
    }
}
