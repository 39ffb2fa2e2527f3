package io.tinyfed.registry;

/** A registry operation that was refused or failed; nothing was written. */
public class RegistryException extends RuntimeException {
    public RegistryException(String message) {
        super(message);
    }

    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
