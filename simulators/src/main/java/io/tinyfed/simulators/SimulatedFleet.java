package io.tinyfed.simulators;

import io.tinyfed.simulators.tasks.SineFamily;
import io.tinyfed.agent.Agent;
import io.tinyfed.agent.DataSources;
import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.coordinator.broker.DeviceCredentials;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.TrustedKeys;
import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.protocol.mqtt.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A fleet of real agents in this JVM, each a separate MQTT client with its own credentials,
 * hardware profile (even devices Cortex-M4/S16, odd devices gateway/F32) and sine task.
 * {@link #credentials()} holds their password hashes for the embedded broker.
 */
public final class SimulatedFleet implements AutoCloseable {
    private final String fleet;
    private final List<SineFamily.Task> tasks;
    private final List<char[]> passwords = new ArrayList<>();
    private final DeviceCredentials credentials = DeviceCredentials.empty();
    private final List<Agent> agents = new ArrayList<>();
    private final long seed;
    private final Duration sampleInterval;
    private String brokerUri;
    private SnapshotVerifier verifier;
    private java.util.function.Function<String, TlsFiles> tls;
    private final java.util.Set<Integer> stopped = new java.util.HashSet<>();

    public SimulatedFleet(String fleet, int devices, long seed) {
        this(fleet, devices, seed, Duration.ofMillis(5));
    }

    /** A fleet whose agents poll their data source every {@code sampleInterval} (large fleets: longer). */
    public SimulatedFleet(String fleet, int devices, long seed, Duration sampleInterval) {
        this.fleet = fleet;
        this.seed = seed;
        this.sampleInterval = sampleInterval;
        this.tasks = SineFamily.tasks(devices, seed + 7);
        for (int d = 0; d < devices; d++) {
            // a fresh random secret (not from the seed: secrets are never reproducible)
            passwords.add(credentials.generate(deviceId(d)));
        }
    }

    public static String deviceId(int d) {
        return String.format("dev-%02d", d);
    }

    /** Each device's broker password by device id, for an external broker's password file. */
    public java.util.Map<String, char[]> passwords() {
        java.util.Map<String, char[]> out = new java.util.LinkedHashMap<>();
        for (int d = 0; d < passwords.size(); d++) {
            out.put(deviceId(d), passwords.get(d).clone());
        }
        return out;
    }

    public DeviceCredentials credentials() {
        return credentials;
    }

    public int size() {
        return tasks.size();
    }

    /** Starts every agent against {@code brokerUri}, trusting the keys in {@code trustFile}. */
    public void start(String brokerUri, Path trustFile) throws Exception {
        start(brokerUri, trustFile, device -> null);
    }

    /**
     * Starts every agent against {@code brokerUri} (an {@code ssl://} URI), each with the TLS files
     * {@code tls} gives for its device id (its own client certificate, for brokers that require one).
     */
    public void start(String brokerUri, Path trustFile, java.util.function.Function<String, TlsFiles> tls)
            throws Exception {
        this.brokerUri = brokerUri;
        this.verifier = new SnapshotVerifier(TrustedKeys.read(trustFile));
        this.tls = tls;
        for (int d = 0; d < tasks.size(); d++) {
            agents.add(startAgent(d, brokerUri, verifier, tls.apply(deviceId(d))));
        }
    }

    /** Takes device {@code d} offline (it announces so and disconnects) until {@link #restart}. */
    public void stop(int d) {
        if (stopped.add(d)) {
            agents.get(d).close();
        }
    }

    /** Starts device {@code d} again with the same identity and data stream seed (after {@link #stop}). */
    public void restart(int d) throws Exception {
        if (stopped.remove(d)) {
            agents.set(d, startAgent(d, brokerUri, verifier, tls.apply(deviceId(d))));
        }
    }

    private Agent startAgent(int d, String brokerUri, SnapshotVerifier verifier, TlsFiles tls) throws Exception {
        HardwareProfile profile = profile(d);
        Agent.Settings s = new Agent.Settings(fleet, deviceId(d), profile, 0.005f, 10, sampleInterval, 200,
                seed + d, "simulated");
        SineFamily.Task task = tasks.get(d);
        Agent a = new Agent(s, new PahoTransport(brokerUri, deviceId(d), deviceId(d), passwords.get(d), tls),
                DataSources.sine(task.amplitude(), task.phase(), seed * 31 + d), verifier, Clock.systemUTC());
        a.start();
        return a;
    }

    private static HardwareProfile profile(int d) throws IOException {
        return HardwareProfile.load(d % 2 == 0 ? "cortex-m4" : "gateway");
    }

    public List<Agent> agents() {
        return List.copyOf(agents);
    }

    @Override
    public void close() {
        for (int d = 0; d < agents.size(); d++) {
            if (!stopped.contains(d)) {
                agents.get(d).close();
            }
        }
        agents.clear();
        stopped.clear();
    }
}
