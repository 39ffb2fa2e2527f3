package io.tinyfed.coordinator.broker;

import io.tinyfed.protocol.Topics;

/**
 * The per-device access control an external broker must enforce, as a Mosquitto {@code acl_file}:
 * the same rules the embedded broker applies. A device (user name = device id = MQTT client id,
 * or its certificate's common name with {@code use_identity_as_username}) may publish only its own
 * hello, state, update and metrics, and receive only its own task and reject topics and the fleet's
 * models; the coordinator's user may do everything within the fleet.
 */
public final class MosquittoAcl {
    private MosquittoAcl() {
    }

    public static String render(Topics topics, String coordinatorUser) {
        StringBuilder acl = new StringBuilder();
        acl.append("# TinyFed fleet ").append(topics.fleet()).append(": per-device access control for Mosquitto ")
                .append("(acl_file). Devices must log in with their device id as user name and client id.\n");
        acl.append("user ").append(coordinatorUser).append('\n');
        acl.append("topic readwrite ").append(topics.everything()).append("\n\n");
        acl.append("# every other user: its own subtree only (%u = the user name)\n");
        for (Topics.DeviceTopic t : Topics.DeviceTopic.values()) {
            acl.append("pattern ").append(t.publishedByDevice() ? "write " : "read ")
                    .append(topics.devicePattern("%u", t)).append('\n');
        }
        acl.append("pattern read ").append(topics.allModels()).append('\n');
        acl.append("pattern read ").append(topics.allModelDeltas()).append('\n');
        return acl.toString();
    }
}
