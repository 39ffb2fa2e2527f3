package io.tinyfed.protocol;

import io.tinyfed.core.NumberFormat;
import java.util.List;
import java.util.Set;

/**
 * What a device says about itself when it connects: identity and hardware capabilities.
 *
 * @param gatewayId the gateway the device is attached through, or null when it talks to the broker itself
 */
public record DeviceHello(String deviceId, String fleet, long ramBytes, long flashBytes, String cpu, int clockMhz,
                          Set<NumberFormat> formats, List<String> sensors, String runtimeVersion,
                          String firmwareVersion, String gatewayId) {
    public DeviceHello {
        formats = Set.copyOf(formats);
        sensors = List.copyOf(sensors);
    }
}
