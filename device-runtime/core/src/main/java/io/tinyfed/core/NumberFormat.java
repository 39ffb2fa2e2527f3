package io.tinyfed.core;

/** How a model stores and computes its numbers on the device. */
public enum NumberFormat {
    /** float32 reference engine. */
    F32(4),
    /**
     * int16 storage with a power-of-two scale per tensor (Qm.n), int32/int64 accumulators,
     * round-half-up shifts and saturation, as specified in docs/fixed-point.md.
     */
    S16(2);

    private final int bytesPerElement;

    NumberFormat(int bytesPerElement) {
        this.bytesPerElement = bytesPerElement;
    }

    /** Storage size of one weight or activation element. */
    public int bytesPerElement() {
        return bytesPerElement;
    }
}
