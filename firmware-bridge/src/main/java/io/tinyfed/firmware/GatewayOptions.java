package io.tinyfed.firmware;

import io.tinyfed.core.Model;
import io.tinyfed.firmware.serial.SerialBridge;
import io.tinyfed.protocol.SnapshotVerifier;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of the gateway side of a serial line, shared by {@code tinyfed bridge serial} and
 * {@code tinyfed firmware run}: which broker and fleet the MCU joins, whom it trusts, and as which gateway.
 */
final class GatewayOptions {
    @Option(names = "--broker", required = true, description = "MQTT 5 broker URI, e.g. tcp://127.0.0.1:1884")
    String broker;

    @Option(names = "--fleet", defaultValue = "default", description = "Fleet id (default: ${DEFAULT-VALUE}).")
    String fleet;

    @Option(names = "--trust", required = true, description = "Trusted coordinator keys (trust.keys).")
    Path trust;

    @Option(names = "--gateway-id", description = "Id of this gateway (default: the host name).")
    String gatewayId;

    @CommandLine.Mixin
    io.tinyfed.protocol.mqtt.TlsOptions tls = new io.tinyfed.protocol.mqtt.TlsOptions();

    @Option(names = "--password-env", description = "Environment variable with the MCU's broker password (user name: "
            + "its device id).")
    String passwordEnv;

    /** The gateway's id: given, or the host name made into an id. */
    String gateway() throws java.net.UnknownHostException {
        return gatewayId != null ? gatewayId
                : InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
    }

    /**
     * A bridge (not started) between the MCU on {@code in}/{@code out}, whose firmware holds {@code firmware}, and the
     * broker; a bad option is a usage error of {@code spec}'s command.
     */
    SerialBridge bridge(CommandLine.Model.CommandSpec spec, InputStream in, OutputStream out, Model firmware)
            throws Exception {
        char[] password = passwordEnv == null ? null : io.tinyfed.protocol.cli.Cli.environmentSecret(
                spec, "--password-env", passwordEnv).toCharArray();
        io.tinyfed.protocol.cli.Cli.brokerUri(spec, "--broker", broker);
        java.util.Map<String, java.security.PublicKey> keys = io.tinyfed.protocol.cli.Cli.trustedKeys(spec, "--trust", trust);
        return new SerialBridge(in, out, broker, fleet, new SnapshotVerifier(keys), firmware, gateway())
                .authenticate(tls.filesFor(broker), password);
    }

    /** One line: what a bridge did, for when its line closes. */
    static String summary(SerialBridge bridge) {
        return String.format("device %s, updates %d, refused %d, frames %d (bad crc %d, malformed %d, oversize %d), "
                + "retransmissions %d, duplicates %d", bridge.deviceId(), bridge.updatesPublished(),
                bridge.refusedFromDevice(), bridge.link().decoder().frames(), bridge.link().decoder().badCrc(),
                bridge.link().decoder().malformed(), bridge.link().decoder().oversize(), bridge.link().retransmissions(),
                bridge.link().duplicates());
    }
}
