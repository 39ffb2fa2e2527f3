package io.tinyfed.registry;

/** A write that refers to a device or model version the registry does not hold; nothing was written. */
public final class UnknownEntityException extends RegistryException {
    public UnknownEntityException(String message) {
        super(message);
    }
}
