package io.tinyfed.protocol;

/** A payload was refused; {@link #reason()} is what gets counted, the message says exactly why. */
public final class ProtocolException extends Exception {
    private final RejectReason reason;

    public ProtocolException(RejectReason reason, String detail) {
        super(reason + ": " + detail);
        this.reason = reason;
    }

    public RejectReason reason() {
        return reason;
    }
}
