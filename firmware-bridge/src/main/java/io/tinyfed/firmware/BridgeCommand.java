package io.tinyfed.firmware;

import com.fazecast.jSerialComm.SerialPort;
import io.tinyfed.core.Model;
import io.tinyfed.core.ModelCodec;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.firmware.serial.SerialBridge;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./tinyfed bridge serial}: connects one MCU on a serial line (a real port, a TCP byte stream such as
 * ser2net, or a child process's stdio) to the fleet's MQTT broker as an ordinary device.
 */
@Command(name = "bridge", mixinStandardHelpOptions = true, versionProvider = io.tinyfed.protocol.cli.Cli.Version.class, description = "Bridge an MCU on a serial line into the fleet.")
public final class BridgeCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Kind of line: serial")
    String kind;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Line line;

    static final class Line {
        @Option(names = "--port", description = "Serial port, e.g. /dev/ttyACM0 or COM3.")
        String port;

        @Option(names = "--tcp", description = "HOST:PORT of a TCP byte stream (e.g. ser2net).")
        String tcp;

        @Option(names = "--exec", description = "Command whose stdin/stdout is the line (e.g. a virtual MCU).")
        String exec;
    }

    @Option(names = "--baud", defaultValue = "115200", description = "Baud rate for --port (default: ${DEFAULT-VALUE}).")
    int baud;

    @CommandLine.Mixin
    GatewayOptions gateway = new GatewayOptions();

    @Option(names = "--model", required = true, description = "The S16 model the MCU's firmware was exported from.")
    Path model;

    @CommandLine.Mixin
    io.tinyfed.protocol.cli.LogOptions logging = new io.tinyfed.protocol.cli.LogOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        logging.applyToJavaLogging();
        if (!"serial".equals(kind)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "unknown line kind '" + kind + "' (serial)");
        }
        Model firmware = ModelCodec.decode(Files.readAllBytes(model));
        if (firmware.format() != NumberFormat.S16) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--model must be the S16 model of the firmware");
        }
        InputStream in;
        OutputStream out;
        AutoCloseable resource;
        if (line.port != null) {
            SerialPort p = SerialPort.getCommPort(line.port);
            p.setComPortParameters(baud, 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);
            p.setComPortTimeouts(SerialPort.TIMEOUT_READ_BLOCKING, 0, 0);
            if (!p.openPort()) {
                throw new IllegalStateException("cannot open serial port " + line.port);
            }
            in = p.getInputStream();
            out = p.getOutputStream();
            resource = p::closePort;
        } else if (line.tcp != null) {
            String[] hp = line.tcp.split(":");
            Socket s = new Socket(hp[0], Integer.parseInt(hp[1]));
            in = s.getInputStream();
            out = s.getOutputStream();
            resource = s;
        } else {
            Process p = new ProcessBuilder(List.of(line.exec.trim().split("\\s+"))).redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            in = p.getInputStream();
            out = p.getOutputStream();
            resource = p::destroy;
        }
        try (SerialBridge bridge = gateway.bridge(spec, in, out, firmware).start()) {
            System.out.printf("bridging %s to %s (fleet %s) as gateway %s%n", line.port != null ? line.port
                    : line.tcp != null ? line.tcp : line.exec, gateway.broker, gateway.fleet, gateway.gateway());
            while (bridge.link().isOpen()) {
                Thread.sleep(500);
            }
            System.out.println("line closed: " + GatewayOptions.summary(bridge));
        } finally {
            resource.close();
        }
        return 0;
    }

    public static void main(String[] args) {
        System.exit(io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new BridgeCommand())).execute(args));
    }
}
