package io.tinyfed.registry;

/**
 * An embedded registry's directory is held by another process (TDB2 allows one per directory): a
 * coordinator or {@code tinyfed registry serve}. The message names the directory and, when known, the process.
 */
public class RegistryInUseException extends RegistryException {
    public RegistryInUseException(String message, Throwable cause) {
        super(message, cause);
    }
}
