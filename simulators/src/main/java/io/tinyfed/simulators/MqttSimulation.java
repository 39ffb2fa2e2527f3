package io.tinyfed.simulators;

import io.tinyfed.agent.Agent;
import io.tinyfed.agent.HardwareProfile;
import io.tinyfed.coordinator.Coordinator;
import io.tinyfed.coordinator.broker.DeviceCredentials;
import io.tinyfed.coordinator.round.RoundEngine;
import io.tinyfed.coordinator.store.ModelStore;
import io.tinyfed.coordinator.strategy.Strategy;
import io.tinyfed.core.Model;
import io.tinyfed.protocol.RejectReason;
import io.tinyfed.protocol.SnapshotVerifier;
import io.tinyfed.protocol.TrustedKeys;
import io.tinyfed.protocol.mqtt.PahoTransport;
import io.tinyfed.simulators.tasks.TaskFamily;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * The {@code mqtt} transport of {@code ./tinyfed simulate}: a real coordinator (round engine, registry, model store)
 * behind a real MQTT 5 broker (the embedded one on a free port, or {@code brokerUri}), and {@code gateways} gateways,
 * each its own MQTT client with its own credentials, with {@code devices / gateways} simulated devices behind it.
 * The coordinator selects gateways; each asked gateway asks some of its devices and sends one pre-aggregated update,
 * so the coordinator handles one update per gateway however many devices stand behind it. With {@code gateways} 0
 * every device is instead the real {@link Agent}, its own MQTT client (for fleets of hundreds). Devices are drawn exactly
 * as in the {@code inproc} transport (same seed, same tasks, samples, profiles and attackers); the rounds run on the
 * wall clock, so the order updates arrive in (and with it the float summation order) is the transport's.
 */
final class MqttSimulation implements AutoCloseable {
    private final Coordinator coordinator;
    private final boolean externalBroker;
    private final Connectivity connectivity;
    private int disconnects;
    private final double startupSeconds;
    private final List<SimulatedGateway> gateways = new ArrayList<>();
    private final List<Agent> agents = new ArrayList<>();
    private final InProcessSimulation.Timing timing;
    private final long seed;
    private java.util.concurrent.ScheduledExecutorService comings;

    /**
     * @param brokerUri an external MQTT 5 broker, or null for the coordinator's embedded one
     * @param perTask   devices each asked gateway asks per task
     */
    MqttSimulation(Path store, String brokerUri, TaskFamily family, Model init, RoundEngine.Settings settings,
                   Strategy strategy, int deviceCount, int gatewayCount, int perTask, List<HardwareProfile> profiles,
                   int shots, InProcessSimulation.Faults faults, long seed) throws Exception {
        this(store, brokerUri, family, init, settings, strategy, deviceCount, gatewayCount, perTask, profiles, shots, faults,
                seed, null);
    }

    /**
     * @param timing when not null, gateways answer after its answer times (a slow fraction of them slower) and come and
     *               go on the wall clock after its availability ({@link #run} starts the comings and goings)
     */
    MqttSimulation(Path store, String brokerUri, TaskFamily family, Model init, RoundEngine.Settings settings,
                   Strategy strategy, int deviceCount, int gatewayCount, int perTask, List<HardwareProfile> profiles,
                   int shots, InProcessSimulation.Faults faults, long seed, InProcessSimulation.Timing timing)
            throws Exception {
        this.timing = timing;
        if (gatewayCount < 0 || deviceCount < gatewayCount) {
            throw new IllegalArgumentException("need 0 <= gateways <= devices, got " + gatewayCount + " gateways for "
                    + deviceCount + " devices");
        }
        boolean agentsOnly = gatewayCount == 0;
        if (agentsOnly && (faults.dropout() > 0 || faults.maliciousFraction() > 0 || !faults.meanLatency().isZero()
                || faults.disconnect() > 0 || timing != null)) {
            throw new IllegalArgumentException("with --gateways 0 every device is an unmodified agent, which injects no "
                    + "faults; use gateways (or --transport inproc) for dropout, malicious, latency, disconnect, answer "
                    + "time and availability");
        }
        long started = System.nanoTime();
        this.externalBroker = brokerUri != null;
        this.connectivity = new Connectivity(faults, seed);
        this.seed = seed;
        String fleet = "sim-" + Long.toHexString(new SecureRandom().nextLong() & 0xffffffL);
        List<List<SimulatedDevice>> behind = new ArrayList<>();
        int clients = agentsOnly ? deviceCount : gatewayCount;
        for (int g = 0; g < clients; g++) {
            behind.add(new ArrayList<>());
        }
        // The same devices as InProcessSimulation: device i's task, samples, profile and role.
        List<SimulatedDevice> fleetDevices = SimulatedDevice.fleet(family, deviceCount, profiles, shots,
                faults.maliciousFraction(), seed);
        for (int i = 0; i < deviceCount; i++) {
            behind.get(i % clients).add(fleetDevices.get(i));
        }
        DeviceCredentials credentials = DeviceCredentials.empty();
        List<char[]> passwords = new ArrayList<>();
        for (int g = 0; g < clients; g++) {
            passwords.add(credentials.generate(agentsOnly ? behind.get(g).get(0).id() : SimulatedGateway.gatewayId(g)));
        }
        Coordinator.Builder b = Coordinator.builder().fleet(fleet).store(store).initialModel(init).rounds(settings)
                .strategy(strategy).sparqlPort(-1);
        b = brokerUri == null ? b.brokerPort(0).credentials(credentials) : b.externalBroker(brokerUri, null, null);
        coordinator = b.start();
        try {
            SnapshotVerifier verifier = new SnapshotVerifier(TrustedKeys.read(coordinator.trustFile()));
            for (int g = 0; agentsOnly && g < clients; g++) {
                agents.add(agent(fleet, behind.get(g).get(0), settings, brokerUri == null ? passwords.get(g) : null,
                        seed + g, verifier));
            }
            // Gateways connect at once, as a fleet's do: one MQTT connect takes ~0.3 s here (most of it waiting), and
            // 100 of them one after another were half a minute of start-up.
            java.util.concurrent.ExecutorService connecting = java.util.concurrent.Executors.newFixedThreadPool(16);
            try {
                List<java.util.concurrent.Future<?>> connects = new ArrayList<>();
                for (int g = 0; g < gatewayCount; g++) {
                    String id = SimulatedGateway.gatewayId(g);
                    // The embedded broker knows each gateway's password; an external one is taken as it is configured
                    // (anonymous here: Mosquitto's default listener).
                    char[] password = brokerUri == null ? passwords.get(g) : null;
                    String user = brokerUri == null ? id : null;
                    SimulatedGateway gw = new SimulatedGateway(fleet, g, behind.get(g), perTask, family, faults, seed,
                            settings.normBound(), () -> new PahoTransport(coordinator.brokerUri(), id, user, password),
                            verifier, settings.innerLearningRate() / 5, timing,
                            timing == null ? 1 : timing.slowness(new SplittableRandom(seed * 59 + g)));
                    gateways.add(gw);
                    connects.add(connecting.submit(() -> {
                        gw.start();
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : connects) {
                    try {
                        f.get(120, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw e.getCause() instanceof Exception x ? x : new IllegalStateException(e.getCause());
                    }
                }
            } finally {
                connecting.shutdown();
            }
            if (!coordinator.awaitEligible(clients, Duration.ofSeconds(120))) {
                throw new IllegalStateException("only " + coordinator.engine().eligible().size() + " of " + clients
                        + (agentsOnly ? " agents" : " gateways") + " came online");
            }
            awaitSamplesTaken(behind, Duration.ofSeconds(60));
        } catch (Exception | Error e) {
            close();
            throw e;
        }
        startupSeconds = (System.nanoTime() - started) / 1e9;
    }

    /**
     * One device as the real {@link Agent}: its own MQTT client and credentials, its profile, and a data source that
     * hands it exactly its samples once (its buffer then holds them, as the in-process device does), online learning
     * at a fifth of the round's rate.
     */
    private Agent agent(String fleet, SimulatedDevice d, RoundEngine.Settings settings, char[] password, long agentSeed,
                        SnapshotVerifier verifier) throws Exception {
        java.util.Iterator<io.tinyfed.core.Sample> samples = d.samples().iterator();
        Agent.Settings s = new Agent.Settings(fleet, d.id(), d.profile(), settings.innerLearningRate() / 5,
                d.samples().size(), Duration.ofMillis(2), 1_000, agentSeed, "sim-agent");
        Agent a = new Agent(s, new PahoTransport(coordinator.brokerUri(), d.id(), password == null ? null : d.id(), password),
                () -> samples.hasNext() ? java.util.Optional.of(samples.next()) : java.util.Optional.empty(), verifier,
                java.time.Clock.systemUTC());
        a.start();
        return a;
    }

    /**
     * Waits until every agent has taken all its samples: an agent reads its data stream on its own clock, and a
     * task that arrived while its buffer was still filling would adapt on fewer samples, so a run's numbers would
     * depend on how busy the machine is rather than on the seed.
     */
    private void awaitSamplesTaken(List<List<SimulatedDevice>> behind, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        for (int g = 0; g < agents.size(); g++) {
            int expected = behind.get(g).get(0).samples().size();
            while (agents.get(g).stats().samplesSeen() < expected) {
                if (System.nanoTime() >= end) {
                    throw new IllegalStateException("agent " + behind.get(g).get(0).id() + " took "
                            + agents.get(g).stats().samplesSeen() + " of its " + expected + " samples within " + timeout);
                }
                Thread.sleep(5);
            }
        }
    }

    /** Seconds from the start until every gateway was eligible (broker, coordinator, registry, connections). */
    double startupSeconds() {
        return startupSeconds;
    }

    /**
     * Runs {@code rounds} rounds; {@code progress} hears the number of rounds closed so far. After each round closes,
     * gateways disconnect with the fault plan's probability and come back 1 to {@code maxOfflineRounds} rounds later
     * (decided from the seed; the next round may already have asked a gateway that then leaves: it closes at its
     * deadline with that gateway as a straggler, as it would in the field).
     */
    void run(int rounds, Duration timeout, IntConsumer progress) throws Exception {
        if (timing != null && timing.availability() < 1) {
            startComingsAndGoings();
        }
        coordinator.startRun(rounds);
        long end = System.nanoTime() + timeout.toNanos();
        int shown = 0;
        while (System.nanoTime() < end) {
            int closed = coordinator.engine().roundsClosed();
            if (closed > shown) {
                for (int k = shown + 1; k <= closed; k++) {
                    connectivity(k);
                }
                progress.accept(closed);
                shown = closed;
            }
            if (closed >= rounds && !coordinator.engine().roundOpen()) {
                break;
            }
            Thread.sleep(20);
        }
        coordinator.stopRun();
        if (coordinator.engine().roundsClosed() < rounds) {
            throw new IllegalStateException(coordinator.engine().roundsClosed() + " of " + rounds + " rounds closed within "
                    + timeout);
        }
    }

    /**
     * Availability on the wall clock: each gateway starts online with the timing's probability and then alternates
     * online and offline periods drawn from its own seeded generator, on a scheduler that {@link #close} stops.
     */
    private void startComingsAndGoings() {
        comings = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "availability");
            t.setDaemon(true);
            return t;
        });
        for (int g = 0; g < gateways.size(); g++) {
            SplittableRandom r = new SplittableRandom(seed * 61 + g);
            boolean on = timing.startsOnline(r);
            int index = g;
            if (!on) {
                toggle(index, false);
            }
            schedule(index, !on, timing.periodNanos(on, r), r);
        }
    }

    private void schedule(int gateway, boolean comesOnline, long afterNanos, SplittableRandom r) {
        if (afterNanos == Long.MAX_VALUE) {
            return;
        }
        comings.schedule(() -> {
            toggle(gateway, comesOnline);
            schedule(gateway, !comesOnline, timing.periodNanos(comesOnline, r), r);
        }, afterNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private synchronized void toggle(int gateway, boolean online) {
        try {
            if (online) {
                gateways.get(gateway).reconnect();
            } else {
                gateways.get(gateway).disconnect();
                disconnects++;
            }
        } catch (Exception e) {
            System.getLogger(MqttSimulation.class.getName()).log(System.Logger.Level.WARNING, "gateway {0} could not {1}: "
                    + "{2}", gateway, online ? "come back" : "leave", e.getMessage());
        }
    }

    private void connectivity(int round) throws Exception {
        for (Connectivity.Change c : connectivity.step(round, gateways.size())) {
            if (c.leaves()) {
                gateways.get(c.participant()).disconnect();
                disconnects++;
            } else {
                gateways.get(c.participant()).reconnect();
            }
        }
    }

    /**
     * Rolls {@code version} out to every gateway through the coordinator's own deployments (signed deploys over MQTT,
     * gated waves, registry records): first an ungated rollout gives the fleet {@code servedVersion}, the version it
     * serves when the rollout under test starts; returns that rollout's outcome once it has ended and its rollbacks
     * have been answered.
     */
    SimulatedRollout.Result rollout(long version, long servedVersion, io.tinyfed.coordinator.rollout.RolloutPlan plan,
                                    long seed) throws Exception {
        if (gateways.isEmpty()) {
            throw new IllegalStateException("a rollout over MQTT needs gateways: agents fed a fixed sample set have no live "
                    + "samples to compare versions on");
        }
        var deployments = coordinator.deployments();
        var setup = new io.tinyfed.coordinator.rollout.RolloutPlan(List.of(1.0), plan.waveTimeout(), 0.0, plan.maxLossRatio(),
                0, 0, 0f);
        deployments.create(new io.tinyfed.coordinator.Deployments.Request("serving-v" + servedVersion, servedVersion,
                List.of(), true, null, setup, seed));
        settle("serving-v" + servedVersion, setup);
        long started = System.nanoTime();
        deployments.create(new io.tinyfed.coordinator.Deployments.Request(SimulatedRollout.ID, version, List.of(), true,
                null, plan, seed));
        var s = settle(SimulatedRollout.ID, plan);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        java.util.function.ToIntFunction<java.util.Set<io.tinyfed.coordinator.rollout.Rollout.Step>> count = steps ->
                (int) s.devices().stream().filter(d -> steps.contains(d.step())).count();
        return new SimulatedRollout.Result(s, gateways.size(),
                count.applyAsInt(java.util.EnumSet.of(io.tinyfed.coordinator.rollout.Rollout.Step.SERVING)),
                count.applyAsInt(java.util.EnumSet.of(io.tinyfed.coordinator.rollout.Rollout.Step.SHADOWING,
                        io.tinyfed.coordinator.rollout.Rollout.Step.SERVING, io.tinyfed.coordinator.rollout.Rollout.Step.ROLLBACK_SENT,
                        io.tinyfed.coordinator.rollout.Rollout.Step.ROLLED_BACK)),
                count.applyAsInt(java.util.EnumSet.of(io.tinyfed.coordinator.rollout.Rollout.Step.ROLLED_BACK)), took);
    }

    /** Waits until rollout {@code id} has ended and no rollback is unanswered (bounded by its waves' timeouts). */
    private io.tinyfed.coordinator.rollout.Rollout.State settle(String id, io.tinyfed.coordinator.rollout.RolloutPlan plan)
            throws InterruptedException {
        long end = System.nanoTime() + plan.waveTimeout().multipliedBy(plan.waves().size() + 1).toNanos();
        while (true) {
            var s = coordinator.deployments().get(id).orElseThrow();
            boolean rollbacksOpen = s.counts().getOrDefault(io.tinyfed.coordinator.rollout.Rollout.Step.ROLLBACK_SENT, 0) > 0;
            if ((!s.phase().active() && !rollbacksOpen) || System.nanoTime() >= end) {
                return s;
            }
            Thread.sleep(50);
        }
    }

    /** Gateway disconnects so far. */
    int disconnects() {
        return disconnects;
    }

    RoundEngine engine() {
        return coordinator.engine();
    }

    ModelStore store() {
        return coordinator.store();
    }

    String brokerUri() {
        return coordinator.brokerUri();
    }

    /** Device updates summed into the accepted gateway updates of {@code round} (agents: the accepted updates). */
    int deviceUpdates(RoundEngine.RoundSummary round) {
        if (!agents.isEmpty()) {
            return round.accepted().size();
        }
        int n = 0;
        for (SimulatedGateway g : gateways) {
            if (round.accepted().contains(g.id())) {
                n += g.contributors(round.round());
            }
        }
        return n;
    }

    /** The gateways' updates published so far and their payload bytes (what the gateways' uplinks carried). */
    long[] gatewayUplink() {
        long[] sum = new long[2];
        for (SimulatedGateway g : gateways) {
            long[] u = g.uplink();
            sum[0] += u[0];
            sum[1] += u[1];
        }
        return sum;
    }

    /** Each gateway quarantines the devices behind it with a quarantine of its own, made by {@code quarantine}. */
    void quarantineAtGateways(java.util.function.Supplier<io.tinyfed.core.Quarantine> quarantine) {
        for (SimulatedGateway g : gateways) {
            g.quarantine(quarantine.get());
        }
    }

    /** Device updates the gateways refused (non-finite, norm bound, ...) by reason. */
    Map<RejectReason, Long> refusedAtGateways() {
        Map<RejectReason, Long> out = new EnumMap<>(RejectReason.class);
        for (SimulatedGateway g : gateways) {
            g.refusedAtGateway().forEach((k, v) -> out.merge(k, v, Long::sum));
        }
        return out;
    }

    @Override
    public void close() {
        if (comings != null) {
            comings.shutdownNow();
        }
        for (SimulatedGateway g : gateways) {
            g.close();
        }
        gateways.clear();
        for (Agent a : agents) {
            a.close();
        }
        agents.clear();
        if (coordinator != null) {
            if (externalBroker) {
                coordinator.clearRetained(); // leave a shared broker as we found it
            }
            coordinator.close();
        }
    }
}
