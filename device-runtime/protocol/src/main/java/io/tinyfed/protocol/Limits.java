package io.tinyfed.protocol;

/**
 * Hard payload limits, checked before a payload is parsed. A model snapshot or update carries at
 * most {@link #MAX_PARAMETERS} parameters (an MCU-sized model has thousands to a few hundred
 * thousand); the other messages are small and fixed in shape.
 */
public final class Limits {
    public static final int MAX_PARAMETERS = 1 << 20;
    public static final int HELLO_BYTES = 4 * 1024;
    public static final int STATE_BYTES = 256;
    public static final int TASK_BYTES = 1024;
    public static final int METRICS_BYTES = 1024;
    /** A prediction: ids, counters and up to 4,096 outputs. */
    public static final int PREDICTION_BYTES = 1024 + 5 * 4096;
    public static final int MAX_PREDICTION_OUTPUTS = 4096;
    public static final int REJECT_BYTES = 2048;
    /** Header room plus four bytes per parameter. */
    public static final int SNAPSHOT_BYTES = 64 * 1024 + 4 * MAX_PARAMETERS;
    /** A snapshot plus the deploy's own fields. */
    public static final int DEPLOY_BYTES = SNAPSHOT_BYTES + 4 * 1024;
    public static final int DEPLOYMENT_STATUS_BYTES = 2048;
    /** Header room plus, per parameter, one int8 value, up to five gap bytes and a block scale's share. */
    public static final int SNAPSHOT_DELTA_BYTES = 64 * 1024 + 7 * MAX_PARAMETERS;
    /** Header room plus, per parameter, four value bytes and up to five index bytes. */
    public static final int UPDATE_BYTES = 64 * 1024 + 9 * MAX_PARAMETERS;
    /**
     * Largest MQTT packet any TinyFed message needs: the largest payload plus room for the topic and
     * MQTT 5 properties. The embedded broker refuses bigger packets (and disconnects their sender);
     * every TinyFed client tells its broker not to send it bigger ones.
     */
    public static final int MAX_PACKET_BYTES = UPDATE_BYTES + 16 * 1024;
    /** Longest device, fleet, model or gateway identifier. */
    public static final int MAX_ID_LENGTH = 64;
    /** Most sensors and number formats a hello may list. */
    public static final int MAX_LIST = 64;

    private Limits() {
    }

    /** Identifiers are MQTT topic levels: 1..64 of {@code [A-Za-z0-9._-]}. */
    public static boolean isValidId(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    static String requireId(String id, String what) throws ProtocolException {
        if (!isValidId(id)) {
            throw new ProtocolException(RejectReason.INVALID_FIELD,
                    what + " '" + id + "' is not 1-" + MAX_ID_LENGTH + " characters of [A-Za-z0-9._-]");
        }
        return id;
    }
}
