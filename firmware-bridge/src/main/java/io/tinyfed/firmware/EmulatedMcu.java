package io.tinyfed.firmware;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A firmware image running on an emulated Cortex-M4 board: {@code qemu-system-arm -M mps2-an386} (Debian
 * qemu-system-arm, installed with apt-get when missing and the process may install), its UART0 (the device's serial
 * line) on a TCP socket on 127.0.0.1 that QEMU serves, its UART1 (the device's log) in a file. QEMU holds the board
 * in reset until the line is connected, so nothing the device says is lost; {@link #in()} and {@link #out()} are
 * that line, for a {@link io.tinyfed.firmware.serial.SerialBridge} or {@code tinyfed bridge serial --tcp}.
 */
public final class EmulatedMcu implements AutoCloseable {
    private static final Duration START = Duration.ofSeconds(20);
    private final Process qemu;
    private final Socket line;
    private final int port;
    private final Path uartLog;

    private EmulatedMcu(Process qemu, Socket line, int port, Path uartLog) {
        this.qemu = qemu;
        this.line = line;
        this.port = port;
        this.uartLog = uartLog;
    }

    /**
     * Boots {@code image} with its line on a free port (a port taken between choosing and binding it is retried with
     * another) and connects to it; QEMU's own output goes to {@code dir/qemu.log}, the device's log to
     * {@code dir/uart1.log}.
     *
     * @throws IOException if QEMU is missing and cannot be installed, or does not start
     */
    public static EmulatedMcu boot(FirmwareImage image, Path dir) throws IOException, InterruptedException {
        Toolchain.ensureInstalled(List.of("qemu-system-arm", "--version"), "qemu-system-arm");
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return start(image, dir, freePort());
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    /** Boots {@code image} with its line served by QEMU on 127.0.0.1:{@code port}, without connecting to it. */
    public static Process launch(FirmwareImage image, Path dir, int port) throws IOException {
        Path uart = dir.resolve("uart1.log");
        Files.deleteIfExists(uart);
        return new ProcessBuilder(command(image.elf(), port, uart)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("qemu.log").toFile())).start();
    }

    /** The QEMU command line of an image whose line QEMU serves on 127.0.0.1:{@code port} (held in reset until used). */
    public static List<String> command(Path elf, int port, Path uartLog) {
        return List.of("qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
                "-chardev", "socket,id=line,host=127.0.0.1,port=" + port + ",server=on,wait=on",
                "-serial", "chardev:line", "-serial", "file:" + uartLog, "-kernel", elf.toString());
    }

    private static EmulatedMcu start(FirmwareImage image, Path dir, int port) throws IOException, InterruptedException {
        Process qemu = launch(image, dir, port);
        long end = System.nanoTime() + START.toNanos();
        while (System.nanoTime() < end) {
            if (!qemu.isAlive()) {
                throw new IOException("qemu-system-arm exited (" + qemu.exitValue() + "): "
                        + Files.readString(dir.resolve("qemu.log")).strip());
            }
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                s.setTcpNoDelay(true);
                return new EmulatedMcu(qemu, s, port, dir.resolve("uart1.log"));
            } catch (IOException notYet) {
                s.close();
                Thread.sleep(50);
            }
        }
        qemu.destroyForcibly();
        throw new IOException("qemu-system-arm did not serve the line on port " + port + " within " + START.toSeconds()
                + " s");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    /** Bytes from the device. */
    public InputStream in() throws IOException {
        return line.getInputStream();
    }

    /** Bytes to the device. */
    public OutputStream out() throws IOException {
        return line.getOutputStream();
    }

    /** The TCP port QEMU serves the device's line on (one client at a time). */
    public int port() {
        return port;
    }

    /** The device's log (its UART1). */
    public Path uartLog() {
        return uartLog;
    }

    public boolean isAlive() {
        return qemu.isAlive();
    }

    /** Closes the line and stops the emulator. */
    @Override
    public void close() throws IOException, InterruptedException {
        line.close();
        qemu.destroy();
        if (!qemu.waitFor(5, TimeUnit.SECONDS)) {
            qemu.destroyForcibly();
        }
    }
}
