package io.tinyfed.registry;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What the registry knows about one device, as the coordinator learns it from a device's hello.
 * Values are not checked here: the registry validates the RDF it writes against its SHACL shapes, so
 * a negative flash size or an unknown format is refused with the shapes' report.
 *
 * @param flashBytes flash available for models; 0 when not stated (then flash requirements are not checked)
 * @param formats   number-format names ({@code F32}, {@code S16}, {@code S8})
 * @param sensors   observable properties the device can sense ({@code temperature}, {@code acceleration}, ...)
 * @param cpu       micro-controller or CPU name; null when unknown
 * @param gatewayId the device it is attached through; null when it talks to the broker itself
 * @param lastSeen  when it was last heard from; null when unknown
 */
public record DeviceDescription(String fleet, String deviceId, long ramBytes, long flashBytes, String cpu,
                                int clockMhz, Set<String> formats, List<String> sensors, String runtimeVersion,
                                String firmwareVersion, String gatewayId, boolean online, Instant lastSeen) {
    public DeviceDescription {
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(deviceId, "deviceId");
        formats = Set.copyOf(formats);
        sensors = List.copyOf(sensors);
    }

    /** The registry IRI of this device. */
    public String iri() {
        return Iris.device(fleet, deviceId);
    }
}
