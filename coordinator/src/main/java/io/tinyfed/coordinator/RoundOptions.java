package io.tinyfed.coordinator;

import io.tinyfed.coordinator.round.RoundEngine;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * How updates and versions travel and when devices train, on the command line: compressed updates and versions
 * ({@code --uplink-top}, {@code --downlink-top}), personal layers ({@code --personal-layers}) and asynchronous buffered rounds ({@code --async} and its
 * companions). Shared by {@code tinyfed coordinator} and the simulations, which apply them to their round engine.
 */
public final class RoundOptions {
    @Option(names = "--uplink-top", paramLabel = "PERCENT", description = "Devices send only the largest PERCENT of their "
            + "update's values, as int8, and keep the rest for their later updates (error feedback), e.g. 10 on slow links "
            + "(default: every value, in the device's number format).")
    Double uplinkTop;

    @Option(names = "--downlink-top", paramLabel = "PERCENT", description = "Each new version also goes out as a delta "
            + "from the one before holding the largest PERCENT of its change, as int8; devices that hold the version "
            + "before rebuild the new one from it and verify it, the rest fetch the full snapshot (e.g. 10; default: "
            + "full snapshots only).")
    Double downlinkTop;

    @Option(names = "--personal-layers", defaultValue = "0", paramLabel = "N", description = "Partial local "
            + "reconstruction: the last N parametrised layers (e.g. 1, the head) are personal, re-fitted on each device "
            + "before it adapts and never sent; only the rest is federated (default: ${DEFAULT-VALUE}).")
    int personalLayers;

    @Option(names = "--async", paramLabel = "K", description = "Asynchronous buffered Reptile: devices train whenever "
            + "they can, and every K accepted updates make a new version, each weighted by 1/sqrt(1 + its staleness) "
            + "(default: synchronous rounds).")
    Integer asyncBuffer;

    @Option(names = "--async-concurrency", paramLabel = "N", description = "With --async: devices training at once "
            + "(default: 2 x K).")
    Integer asyncConcurrency;

    @Option(names = "--max-staleness", defaultValue = "30", paramLabel = "VERSIONS", description = "With --async: "
            + "updates computed on a version more than this many versions old are refused (default: ${DEFAULT-VALUE}).")
    int maxStaleness;

    /** {@code --uplink-top} in per mille (0: whole updates). @throws CommandLine.ParameterException when out of range */
    public int uplinkPermille(CommandLine cl) {
        return permille(cl, "--uplink-top", uplinkTop);
    }

    /** {@code --downlink-top} in per mille (0: full snapshots only). @throws CommandLine.ParameterException likewise */
    public int downlinkPermille(CommandLine cl) {
        return permille(cl, "--downlink-top", downlinkTop);
    }

    /** {@code --personal-layers}. @throws CommandLine.ParameterException when negative */
    public int personalLayers(CommandLine cl) {
        if (personalLayers < 0) {
            throw new CommandLine.ParameterException(cl, "--personal-layers must be >= 0, got " + personalLayers);
        }
        return personalLayers;
    }

    /**
     * The asynchronous settings, or null for synchronous rounds.
     *
     * @throws CommandLine.ParameterException when a value is out of range or a companion comes without {@code --async}
     */
    public RoundEngine.AsyncSettings async(CommandLine cl) {
        if (asyncBuffer == null) {
            if (asyncConcurrency != null) {
                throw new CommandLine.ParameterException(cl, "--async-concurrency needs --async K");
            }
            return null;
        }
        int concurrency = asyncConcurrency != null ? asyncConcurrency : 2 * asyncBuffer;
        if (asyncBuffer < 1 || concurrency < 1 || maxStaleness < 0) {
            throw new CommandLine.ParameterException(cl, "--async K needs K >= 1, --async-concurrency >= 1 and "
                    + "--max-staleness >= 0");
        }
        return new RoundEngine.AsyncSettings(concurrency, asyncBuffer, maxStaleness);
    }

    private static int permille(CommandLine cl, String flag, Double percent) {
        if (percent == null) {
            return 0;
        }
        if (!(percent >= 0.1 && percent <= 100)) {
            throw new CommandLine.ParameterException(cl, flag + " is a percentage of the values in [0.1, 100], got "
                    + percent);
        }
        return (int) Math.round(percent * 10);
    }
}
