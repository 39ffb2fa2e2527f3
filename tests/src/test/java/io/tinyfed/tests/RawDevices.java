package io.tinyfed.tests;

import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.DeviceState;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.WireCodec;
import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.protocol.mqtt.Transport;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Hand-written devices for tests that must send what no agent would: each is a bare MQTT client that
 * announces itself (hello, online state, offline last will), subscribes to its task and reject topics,
 * and records every message it receives by topic. The test publishes its updates itself.
 */
final class RawDevices {
    private final Map<String, List<byte[]>> received = new ConcurrentHashMap<>();

    /** Connects device {@code id} of {@code topics}' fleet to {@code brokerUri} (any password: open broker). */
    Transport connect(String brokerUri, Topics topics, String id) throws Exception {
        PahoTransport t = new PahoTransport(brokerUri, id, id, "any".toCharArray());
        t.connect(new Transport.Listener() {
            @Override
            public void message(String topic, byte[] payload) {
                received.computeIfAbsent(topic, k -> new CopyOnWriteArrayList<>()).add(payload);
            }

            @Override
            public void connected(boolean reconnect) {
            }
        }, topics.device(id, Topics.DeviceTopic.STATE), WireCodec.encode(new DeviceState(id, false)));
        t.subscribe(topics.device(id, Topics.DeviceTopic.TASK), topics.device(id, Topics.DeviceTopic.REJECT));
        t.publish(topics.device(id, Topics.DeviceTopic.HELLO), WireCodec.encode(new DeviceHello(id, topics.fleet(),
                1 << 20, 0, "x86_64", 1000, EnumSet.of(NumberFormat.F32), List.of(), "t", "", null)), true);
        t.publish(topics.device(id, Topics.DeviceTopic.STATE), WireCodec.encode(new DeviceState(id, true)), true);
        return t;
    }

    /** What arrived on {@code topic} so far, oldest first. */
    List<byte[]> on(String topic) {
        return received.getOrDefault(topic, List.of());
    }
}
