package io.tinyfed.protocol;

import java.util.Optional;

/**
 * The MQTT topic scheme of one fleet:
 *
 * <pre>
 * tinyfed/v1/{fleet}/device/{id}/hello|state|task|update|metrics|reject|deploy|deployment
 * tinyfed/v1/{fleet}/model/{modelId}        retained latest snapshot
 * </pre>
 *
 * A device publishes only under its own {@code device/{id}/} subtree (hello, state, update,
 * metrics, deployment status); the coordinator publishes task, reject, deploy and model. Coordinator replicas share update
 * traffic through {@link #sharedUpdates(String)}.
 */
public final class Topics {
    public static final String ROOT = "tinyfed/v1";
    private final String fleet;
    private final String prefix;

    /** The kinds of per-device topics. */
    public enum DeviceTopic {
        HELLO, STATE, TASK, UPDATE, METRICS, REJECT, DEPLOY, DEPLOYMENT, PREDICTION;

        String level() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** What a device publishes under its own subtree: everything else there it may only receive. */
        public boolean publishedByDevice() {
            return this == HELLO || this == STATE || this == UPDATE || this == METRICS || this == DEPLOYMENT
                    || this == PREDICTION;
        }
    }

    /**
     * A parsed topic: a device topic with its device id, or a model topic with its model id, where {@code delta} says
     * whether it is the model's delta topic ({@link #modelDelta}) rather than its snapshot topic.
     */
    public record Address(String fleet, DeviceTopic kind, String deviceId, String modelId, boolean delta) {
        /** A device topic. */
        public Address(String fleet, DeviceTopic kind, String deviceId) {
            this(fleet, kind, deviceId, null, false);
        }

        /** A model's snapshot topic. */
        public boolean isModel() {
            return modelId != null && !delta;
        }

        /** A model's delta topic. */
        public boolean isModelDelta() {
            return modelId != null && delta;
        }
    }

    private Topics(String fleet) {
        this.fleet = fleet;
        this.prefix = ROOT + "/" + fleet;
    }

    /**
     * A device topic with {@code placeholder} in the device id's place, unchecked, for broker ACL
     * patterns (Mosquitto's {@code %u}).
     */
    public String devicePattern(String placeholder, DeviceTopic kind) {
        return prefix + "/device/" + placeholder + "/" + kind.level();
    }

    /** Every topic of the fleet, as a filter. */
    public String everything() {
        return prefix + "/#";
    }

    /** Topics of {@code fleet}; the fleet id must be a valid identifier. */
    public static Topics of(String fleet) {
        if (!Limits.isValidId(fleet)) {
            throw new IllegalArgumentException("fleet id '" + fleet + "' is not a valid identifier");
        }
        return new Topics(fleet);
    }

    public String fleet() {
        return fleet;
    }

    public String device(String deviceId, DeviceTopic kind) {
        if (!Limits.isValidId(deviceId)) {
            throw new IllegalArgumentException("device id '" + deviceId + "' is not a valid identifier");
        }
        return prefix + "/device/" + deviceId + "/" + kind.level();
    }

    public String model(String modelId) {
        if (!Limits.isValidId(modelId)) {
            throw new IllegalArgumentException("model id '" + modelId + "' is not a valid identifier");
        }
        return prefix + "/model/" + modelId;
    }

    /** Where a model's versions are sent as deltas from the version before ({@link SnapshotDelta}). */
    public String modelDelta(String modelId) {
        return model(modelId) + "/delta";
    }

    /** Filter for every model's delta topic. */
    public String allModelDeltas() {
        return prefix + "/model/+/delta";
    }

    /** Filter for one kind of topic of every device, e.g. all hellos. */
    public String allDevices(DeviceTopic kind) {
        return prefix + "/device/+/" + kind.level();
    }

    /** Filter for every model topic of the fleet (retained snapshots). */
    public String allModels() {
        return prefix + "/model/+";
    }

    /** The device's own subtree, for broker ACLs: {@code .../device/{id}/#}. */
    public String deviceSubtree(String deviceId) {
        return prefix + "/device/" + deviceId + "/#";
    }

    /** MQTT 5 shared subscription to every device's updates, split across {@code group}'s members. */
    public String sharedUpdates(String group) {
        if (!Limits.isValidId(group)) {
            throw new IllegalArgumentException("share group '" + group + "' is not a valid identifier");
        }
        return "$share/" + group + "/" + allDevices(DeviceTopic.UPDATE);
    }

    /** Parses a concrete topic of this fleet; empty for anything else (other fleets, malformed). */
    public Optional<Address> parse(String topic) {
        if (topic == null || !topic.startsWith(prefix + "/")) {
            return Optional.empty();
        }
        String[] parts = topic.substring(prefix.length() + 1).split("/", -1);
        if (parts.length == 2 && parts[0].equals("model") && Limits.isValidId(parts[1])) {
            return Optional.of(new Address(fleet, null, null, parts[1], false));
        }
        if (parts.length == 3 && parts[0].equals("model") && Limits.isValidId(parts[1]) && parts[2].equals("delta")) {
            return Optional.of(new Address(fleet, null, null, parts[1], true));
        }
        if (parts.length == 3 && parts[0].equals("device") && Limits.isValidId(parts[1])) {
            for (DeviceTopic kind : DeviceTopic.values()) {
                if (kind.level().equals(parts[2])) {
                    return Optional.of(new Address(fleet, kind, parts[1]));
                }
            }
        }
        return Optional.empty();
    }
}
