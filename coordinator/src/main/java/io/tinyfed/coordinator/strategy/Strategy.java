package io.tinyfed.coordinator.strategy;

import java.util.List;

/**
 * How a federated run chooses devices and combines their updates, in the manner of Flower's
 * {@code Strategy}: {@link #configureRound} before a round, {@link #aggregate} after it. Pure:
 * no framework, transport or protobuf types; the same inputs give the same outputs.
 */
public interface Strategy {

    String name();

    /** The devices to ask in {@code round}, from the sorted eligible ids. */
    List<String> configureRound(int round, List<String> eligibleSorted, long seed);

    /**
     * The next global parameters. {@code replies} are validated and distinct per device;
     * {@code failures} are reported for strategies that adapt to them.
     *
     * @throws IllegalArgumentException if there is nothing to aggregate
     */
    float[] aggregate(int round, float[] theta, List<Reply> replies, List<Failure> failures);

    /** The outer step size this strategy applies in {@code round}, for lineage records; NaN if it has none. */
    default double outerStepSize(int round) {
        return Double.NaN;
    }
}
