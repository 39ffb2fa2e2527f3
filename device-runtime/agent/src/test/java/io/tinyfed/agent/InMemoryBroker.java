package io.tinyfed.agent;

import io.tinyfed.protocol.mqtt.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test fake of an MQTT broker: retained messages, '+' and '#' filters, delivery on the
 * publisher's thread. Enough to drive an agent without a network; the real broker is exercised
 * by {@code AgentMosquittoIT}.
 */
final class InMemoryBroker {
    record Published(String topic, byte[] payload, boolean retained) {
    }

    private final Map<String, byte[]> retained = new ConcurrentHashMap<>();
    private final List<Client> clients = new CopyOnWriteArrayList<>();
    final List<Published> log = new CopyOnWriteArrayList<>();

    Client client() {
        Client c = new Client();
        clients.add(c);
        return c;
    }

    void publish(String topic, byte[] payload, boolean keep) {
        log.add(new Published(topic, payload, keep));
        if (keep) {
            retained.put(topic, payload);
        }
        for (Client c : clients) {
            c.deliver(topic, payload);
        }
    }

    List<Published> publishedOn(String topic) {
        List<Published> out = new ArrayList<>();
        for (Published p : log) {
            if (p.topic().equals(topic)) {
                out.add(p);
            }
        }
        return out;
    }

    static boolean matches(String filter, String topic) {
        String[] f = filter.split("/");
        String[] t = topic.split("/");
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals("#")) {
                return true;
            }
            if (i >= t.length || (!f[i].equals("+") && !f[i].equals(t[i]))) {
                return false;
            }
        }
        return f.length == t.length;
    }

    final class Client implements Transport {
        private final List<String> filters = new CopyOnWriteArrayList<>();
        private Listener listener;
        private String willTopic;
        private byte[] will;
        private boolean closed;

        @Override
        public void connect(Listener l, String willTopic, byte[] willPayload) {
            this.listener = l;
            this.willTopic = willTopic;
            this.will = willPayload;
            l.connected(false);
        }

        void deliver(String topic, byte[] payload) {
            if (closed || listener == null) {
                return;
            }
            for (String f : filters) {
                if (matches(f, topic)) {
                    listener.message(topic, payload);
                    return;
                }
            }
        }

        /** Simulates an abrupt connection loss: the broker publishes the will. */
        void crash() {
            closed = true;
            InMemoryBroker.this.publish(willTopic, will, true);
        }

        @Override
        public void publish(String topic, byte[] payload, boolean keep) {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            InMemoryBroker.this.publish(topic, payload, keep);
        }

        @Override
        public void subscribe(String... newFilters) {
            for (String f : newFilters) {
                filters.add(f);
                retained.forEach((topic, payload) -> {
                    if (matches(f, topic)) {
                        listener.message(topic, payload);
                    }
                });
            }
        }

        @Override
        public void unsubscribe(String... oldFilters) {
            for (String f : oldFilters) {
                filters.remove(f);
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
