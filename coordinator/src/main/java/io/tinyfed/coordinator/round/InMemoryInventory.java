package io.tinyfed.coordinator.round;

import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.DeviceHello;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Eligibility from memory: online devices whose RAM holds last-layer training of the model in a
 * format they support. For tests and for coordinators run without a registry; thread-safe.
 */
public final class InMemoryInventory implements Inventory {
    private final Map<String, DeviceHello> known = new HashMap<>();
    private final Set<String> online = new HashSet<>();
    private final Map<NumberFormat, Long> minTrainingArena = new EnumMap<>(NumberFormat.class);
    private Model arenaOf;

    @Override
    public synchronized void deviceHello(DeviceHello hello, Instant at) {
        known.put(hello.deviceId(), hello);
        online.add(hello.deviceId());
    }

    @Override
    public synchronized void deviceState(String deviceId, boolean isOnline, Instant at) {
        if (isOnline && known.containsKey(deviceId)) {
            online.add(deviceId);
        } else {
            online.remove(deviceId);
        }
    }

    @Override
    public synchronized List<String> eligible(String modelId, long version, Model model) {
        if (arenaOf == null || !arenaOf.architecture().equals(model.architecture())) {
            minTrainingArena.putAll(Inventory.lastLayerTrainingArena(model.architecture()));
            arenaOf = model;
        }
        List<String> out = new ArrayList<>();
        for (String id : online) {
            DeviceHello h = known.get(id);
            for (NumberFormat f : h.formats()) {
                if (minTrainingArena.get(f) <= h.ramBytes()) {
                    out.add(id);
                    break;
                }
            }
        }
        out.sort(null);
        return out;
    }

    @Override
    public void versionStored(String modelId, long version, Long parentVersion, Model model, RoundRecord round,
                              Double adaptedLoss) {
        // Memory keeps no lineage; the model store has it.
    }
}
