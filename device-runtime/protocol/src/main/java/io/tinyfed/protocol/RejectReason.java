package io.tinyfed.protocol;

/** Why a message or an update was refused. Counted per reason by whoever refuses it. */
public enum RejectReason {
    /** Not a parseable message of the expected type. */
    MALFORMED,
    /** Larger than the hard limit for its topic ({@link Limits}). */
    OVERSIZE,
    /** A field is missing, out of range or not a valid identifier. */
    INVALID_FIELD,
    /** Dimensions do not match the model (parameter count, byte length, indices). */
    WRONG_SHAPE,
    /** A NaN or infinite value. */
    NON_FINITE,
    /** An update for a round that is not open. */
    WRONG_ROUND,
    /** An update relative to a model version other than the round's. */
    STALE_BASE_VERSION,
    /** An update whose norm exceeds the configured bound. */
    NORM_BOUND,
    /** A second update from the same device for the same round. */
    DUPLICATE,
    /** An update that arrived after its round's deadline or aggregation. */
    LATE,
    /** A device the coordinator does not know or did not select. */
    UNKNOWN_DEVICE,
    /** The device id in the payload is not the one in the topic. */
    IDENTITY_MISMATCH,
    /** A model snapshot whose signature does not verify. */
    BAD_SIGNATURE
}
