package io.tinyfed.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tinyfed.simulators.SimulateCommand;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The MQTT simulation against a broker that is not ours (Mosquitto on 127.0.0.1:1883, open, MQTT 5): gateways
 * pre-aggregate their devices' updates and the coordinator aggregates one update per gateway.
 */
class GatewaySimulationMosquittoTest {
    @Test
    void mosquitto_gatewaysPreAggregateTheirDevices(@TempDir Path dir) throws Exception {
        assumeTrue(FederatedSineEndToEndTest.reachable(), "no MQTT broker on 127.0.0.1:1883");
        SimulateCommand c = new SimulateCommand();
        new CommandLine(c).parseArgs("--transport", "mqtt", "--broker", "tcp://127.0.0.1:1883", "--family", "presence",
                "--devices", "30", "--gateways", "3", "--per-round", "3", "--per-gateway", "4", "--rounds", "3",
                "--eval-every", "3", "--out", dir.toString(), "--seed", "2");

        List<SimulateCommand.Row> rows = c.run();

        assertThat(rows).hasSize(3).allSatisfy(r -> {
            assertThat(r.accepted()).isEqualTo(3);
            assertThat(r.deviceUpdates()).isEqualTo(12);
        });
        assertThat(rows.get(2).adapted()).isBetween(0.3, 1.0);
    }
}
