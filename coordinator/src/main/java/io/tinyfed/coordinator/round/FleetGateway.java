package io.tinyfed.coordinator.round;

import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.Reject;
import io.tinyfed.protocol.TrainTask;

/** What the round engine sends to the fleet; the MQTT adapter implements it, tests record it. */
public interface FleetGateway {
    /** Publishes the retained latest snapshot of its model. */
    void publishSnapshot(ModelSnapshot snapshot);

    void sendTask(String deviceId, TrainTask task);

    void sendReject(String deviceId, Reject reject);
}
