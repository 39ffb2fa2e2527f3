package io.tinyfed.protocol;

import io.tinyfed.core.NumberFormat;
import java.util.List;
import java.util.Set;

/**
 * What a device says about itself when it connects: identity and hardware capabilities.
 *
 * @param gatewayId      the gateway the device is attached through, or null when it talks to the broker itself
 * @param sampleCapacity the recent samples it keeps for rounds, which bounds the sample count its own
 *                       updates may claim; 0 when it does not say (only the coordinator's cap applies)
 */
public record DeviceHello(String deviceId, String fleet, long ramBytes, long flashBytes, String cpu, int clockMhz,
                          Set<NumberFormat> formats, List<String> sensors, String runtimeVersion,
                          String firmwareVersion, String gatewayId, int sampleCapacity) {
    /** Most samples a hello may say a device keeps. */
    public static final int MAX_SAMPLE_CAPACITY = 1_000_000;

    public DeviceHello {
        formats = Set.copyOf(formats);
        sensors = List.copyOf(sensors);
    }

    /** A hello that does not say how many samples the device keeps. */
    public DeviceHello(String deviceId, String fleet, long ramBytes, long flashBytes, String cpu, int clockMhz,
                       Set<NumberFormat> formats, List<String> sensors, String runtimeVersion, String firmwareVersion,
                       String gatewayId) {
        this(deviceId, fleet, ramBytes, flashBytes, cpu, clockMhz, formats, sensors, runtimeVersion, firmwareVersion,
                gatewayId, 0);
    }
}
