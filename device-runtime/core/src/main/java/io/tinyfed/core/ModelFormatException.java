package io.tinyfed.core;

/** A byte sequence is not a valid encoded model; the message says what is wrong and where. */
public final class ModelFormatException extends Exception {
    public ModelFormatException(String message) {
        super(message);
    }
}
