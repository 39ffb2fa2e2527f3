package io.tinyfed.simulators;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The in-process simulation: deterministic for a seed, and faults reach the coordinator's counters. */
class SimulateCommandTest {
    @TempDir
    Path dir;

    private SimulateCommand command(String... extra) {
        SimulateCommand c = new SimulateCommand();
        String[] base = {"--devices", "12", "--rounds", "8", "--per-round", "4", "--eval-every", "4", "--inner-steps", "8",
            "--profiles", "cortex-m4,gateway,cortex-m0", "--out", dir.toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        new CommandLine(c).parseArgs(args);
        return c;
    }

    @Test
    void sameSeed_givesTheSameRounds() throws Exception {
        List<SimulateCommand.Row> first = command("--seed", "5", "--dropout", "0.25").run();
        List<SimulateCommand.Row> second = command("--seed", "5", "--dropout", "0.25").run();
        List<SimulateCommand.Row> other = command("--seed", "6", "--dropout", "0.25").run();

        assertThat(first).hasSize(8).isEqualTo(second);
        assertThat(other).isNotEqualTo(first);
        assertThat(first.get(7).adaptedMse()).isFinite();
    }

    @Test
    void maliciousNanUpdates_areRefusedByTheCoordinator() throws Exception {
        List<SimulateCommand.Row> rows = command("--malicious", "0.5", "--attack", "nan", "--seed", "3").run();

        assertThat(rows.stream().mapToInt(SimulateCommand.Row::rejected).sum()).isPositive();
        // A refused device has not contributed: the engine lists it among the round's stragglers too.
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.accepted() + r.stragglers()).isEqualTo(r.selected());
            assertThat(r.rejected()).isLessThanOrEqualTo(r.stragglers());
        });
    }
}
