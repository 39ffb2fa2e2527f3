package io.tinyfed.agent;

import io.tinyfed.core.Sample;
import java.util.Optional;

/**
 * Where a device's labelled samples come from. {@link #next()} is called from the agent's worker
 * thread only; empty means "nothing now" (a finite source that is exhausted stays empty).
 */
public interface DataSource extends AutoCloseable {
    Optional<Sample> next();

    /** Lines or records skipped because they could not be parsed. */
    default long rejected() {
        return 0;
    }

    @Override
    default void close() {
    }
}
