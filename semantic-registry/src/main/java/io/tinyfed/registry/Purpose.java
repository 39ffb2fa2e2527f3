package io.tinyfed.registry;

/** What a device should be able to do with a model: run it, or also train it on the device. */
public enum Purpose {
    /** The inference arena fits. */
    INFERENCE,
    /** A training arena (for some trainable-layer choice) fits. */
    TRAINING
}
