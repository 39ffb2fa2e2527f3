package io.tinyfed.tests;

import io.tinyfed.core.Model;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.export.CExport;
import io.tinyfed.firmware.Toolchain;
import io.tinyfed.firmware.serial.SerialBridge;
import io.tinyfed.protocol.SnapshotVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * "Virtual MCUs": the C device loop and the exported runtime built with gcc, each a process talking the
 * serial protocol on its stdin/stdout, joined to a coordinator through its own {@link SerialBridge}.
 */
final class VirtualMcus implements AutoCloseable {
    private final Path dir;
    private final Model firmware;
    private final Path exe;
    private final ProcessLogs logs;
    private final List<Process> processes = new ArrayList<>();
    private final List<SerialBridge> bridges = new ArrayList<>();

    /** Exports {@code init}, quantised on seeded sine inputs, and builds the device loop in {@code dir}. */
    VirtualMcus(Path dir, Model init, ProcessLogs logs) throws IOException, InterruptedException {
        this.dir = dir;
        this.logs = logs;
        SplittableRandom r = new SplittableRandom(5);
        List<float[]> calibration = new ArrayList<>();
        for (int k = 0; k < 64; k++) {
            calibration.add(new float[] {(float) (r.nextDouble() * 10 - 5)});
        }
        this.firmware = Quantizer.toS16(init, calibration);
        Path fw = Files.createDirectories(dir.resolve("firmware"));
        CExport.export(firmware, "model", fw, TrainingConfig.builder().learningRate(0.02f).seed(3).uplinkResidual(true)
                .build());
        Toolchain.copyDeviceLoop(fw, "virtual_mcu.c");
        this.exe = Toolchain.gcc(fw, "virtual_mcu", "virtual_mcu.c", "mcu_loop.c", "model.c", "tinyfed.c",
                "tinyfed_tables.c", "tinyfed_serial.c");
    }

    /** The S16 model the firmware was exported from. */
    Model firmware() {
        return firmware;
    }

    /**
     * Starts MCU {@code id} (samples {@code amplitude * sin(x + phase)}, seeded) and its bridge to {@code brokerUri};
     * {@code noisy} puts a line between them that corrupts bytes both ways.
     */
    SerialBridge start(String id, double amplitude, double phase, int seed, String brokerUri, String fleet,
                       SnapshotVerifier verifier, String gatewayId, boolean noisy) throws IOException {
        Process p = new ProcessBuilder(exe.toString(), id, String.valueOf(amplitude), String.valueOf(phase),
                String.valueOf(seed)).redirectError(logs.add(log(id)).toFile()).start();
        processes.add(p);
        InputStream fromMcu = noisy ? new NoisyLine.In(p.getInputStream(), 700, seed) : p.getInputStream();
        OutputStream toMcu = noisy ? new NoisyLine.Out(p.getOutputStream(), seed) : p.getOutputStream();
        SerialBridge b = new SerialBridge(fromMcu, toMcu, brokerUri, fleet, verifier, firmware, gatewayId).start();
        bridges.add(b);
        return b;
    }

    /** The MCU's stderr. */
    Path log(String id) {
        return dir.resolve(id + ".log");
    }

    /** Closes the bridges (the MCUs see their line close and exit), then waits for the processes. */
    @Override
    public void close() throws InterruptedException {
        bridges.forEach(SerialBridge::close);
        for (Process p : processes) {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroy();
            }
        }
    }
}
