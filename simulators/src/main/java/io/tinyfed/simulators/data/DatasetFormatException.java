package io.tinyfed.simulators.data;

import java.io.IOException;

/** A data file that is not what its format says: the message names the file, where, and what was expected. */
public final class DatasetFormatException extends IOException {
    public DatasetFormatException(String message) {
        super(message);
    }
}
