package io.tinyfed.coordinator.round;

import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.Reject;
import io.tinyfed.protocol.SnapshotDelta;
import io.tinyfed.protocol.TrainTask;

/** What the round engine sends to the fleet; the MQTT adapter implements it, tests record it. */
public interface FleetGateway {
    /** Publishes the retained latest snapshot of its model. */
    void publishSnapshot(ModelSnapshot snapshot);

    /** Publishes a new version as its change from the one before, for the devices that hold that one (not retained). */
    void publishDelta(SnapshotDelta delta);

    void sendTask(String deviceId, TrainTask task);

    void sendReject(String deviceId, Reject reject);
}
