package io.tinyfed.simulators;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientExecutorConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.DeviceHello;
import io.tinyfed.protocol.DeviceState;
import io.tinyfed.protocol.ModelUpdate;
import io.tinyfed.protocol.Topics;
import io.tinyfed.protocol.TrainTask;
import io.tinyfed.protocol.WireCodec;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load generator that costs little: {@code n} devices, each its own MQTT 5 connection with its own user name and
 * password, on one shared Netty event loop (the HiveMQ MQTT client's asynchronous API) and a small callback pool. Each
 * device announces itself as an agent does (retained hello and online state), subscribes to its task topic, and
 * answers every task at once with the same valid S16 delta for that task's round and version. Tasks are read without
 * checking their signatures: a real device verifies its own, but this process stands in for thousands of them and
 * would measure Ed25519 instead of the coordinator.
 *
 * <p>{@link #main} runs one in a process of its own ({@link Remote} starts it), as the coordinator benchmark does:
 * 10,000 connections are 20,000 sockets when client and broker share a process, past common open-file limits, and a
 * separate process's CPU time says exactly what the load cost.
 */
final class LoadFleet implements AutoCloseable {
    private static final int CONNECTS_IN_FLIGHT = 64;
    private final List<Mqtt5AsyncClient> clients = new ArrayList<>();
    private final ExecutorService callbacks;
    private final ExecutorService netty;
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /**
     * @param passwords each device's broker password, by device id (null: the broker needs none)
     */
    LoadFleet(String host, int port, Topics topics, List<String> ids, Map<String, char[]> passwords, float[] delta,
              int nettyThreads, Duration connectTimeout) throws Exception {
        netty = Executors.newFixedThreadPool(nettyThreads, named("tinyfed-load-netty"));
        callbacks = Executors.newFixedThreadPool(Math.max(1, nettyThreads), named("tinyfed-load-callback"));
        MqttClientExecutorConfig executors = MqttClientExecutorConfig.builder().nettyExecutor(netty)
                .nettyThreads(nettyThreads).applicationScheduler(io.reactivex.schedulers.Schedulers.from(callbacks)).build();
        Semaphore inFlight = new Semaphore(CONNECTS_IN_FLIGHT);
        List<CompletableFuture<?>> ready = new ArrayList<>();
        for (String id : ids) {
            var builder = MqttClient.builder().useMqttVersion5().identifier(id).serverHost(host).serverPort(port)
                    .executorConfig(executors);
            char[] password = passwords == null ? null : passwords.get(id);
            if (password != null) {
                builder = builder.simpleAuth().username(id)
                        .password(new String(password).getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
            }
            Mqtt5AsyncClient client = builder.buildAsync();
            clients.add(client);
            String updateTopic = topics.device(id, Topics.DeviceTopic.UPDATE);
            inFlight.acquire();
            CompletableFuture<?> f = client.connectWith().cleanStart(true).keepAlive(60).send()
                    .thenCompose(ack -> client.subscribeWith().topicFilter(topics.device(id, Topics.DeviceTopic.TASK))
                            .qos(MqttQos.AT_LEAST_ONCE).callback(p -> answer(client, id, updateTopic, delta,
                                    p.getPayloadAsBytes())).send())
                    .thenCompose(ack -> client.publishWith().topic(topics.device(id, Topics.DeviceTopic.HELLO))
                            .payload(WireCodec.encode(hello(id, topics.fleet())))
                            .qos(MqttQos.AT_LEAST_ONCE).retain(true).send())
                    .thenCompose(ack -> client.publishWith().topic(topics.device(id, Topics.DeviceTopic.STATE))
                            .payload(WireCodec.encode(new DeviceState(id, true))).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                            .send())
                    .whenComplete((r, e) -> inFlight.release());
            ready.add(f);
        }
        CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).get(connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The hello of a load device: an S16 device with 1 MiB of RAM, so that every model fits it. */
    static DeviceHello hello(String id, String fleet) {
        return new DeviceHello(id, fleet, 1 << 20, 0, "x86_64", 1000, EnumSet.of(NumberFormat.S16), List.of(), "bench", "",
                null);
    }

    private void answer(Mqtt5AsyncClient client, String id, String updateTopic, float[] delta, byte[] payload) {
        TrainTask t = WireCodec.unverifiedTask(payload).orElse(null);
        if (t == null) {
            failed.incrementAndGet();
            return;
        }
        ModelUpdate u = new ModelUpdate(t.round(), id, t.modelId(), t.modelVersion(), delta, 10, 1f, 0.5f);
        client.publishWith().topic(updateTopic).payload(WireCodec.encode(u, NumberFormat.S16, 0)).qos(MqttQos.AT_LEAST_ONCE)
                .send().whenComplete((r, e) -> (e == null ? answered : failed).incrementAndGet());
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Updates the broker acknowledged, and tasks or updates that failed. */
    long answered() {
        return answered.get();
    }

    long failed() {
        return failed.get();
    }

    int size() {
        return clients.size();
    }

    @Override
    public void close() {
        List<CompletableFuture<Void>> gone = new ArrayList<>();
        for (Mqtt5AsyncClient c : clients) {
            gone.add(c.disconnect().exceptionally(e -> null));
        }
        try {
            CompletableFuture.allOf(gone.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway: the broker drops what is left
        }
        callbacks.shutdownNow();
        netty.shutdownNow();
    }

    /**
     * {@code LoadFleet HOST PORT FLEET PARAMETERS DEVICES_FILE}: connects every device of the file (lines
     * {@code id password}, {@code -} for none), prints {@code ready N}, then answers each {@code cpu} line on standard
     * input with {@code cpu NANOS answered N failed N} (this process's CPU time) until standard input closes.
     */
    public static void main(String[] args) throws Exception {
        List<String> ids = new ArrayList<>();
        Map<String, char[]> passwords = new java.util.HashMap<>();
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(args[4]))) {
            String[] f = line.trim().split(" ");
            if (f.length == 2) {
                ids.add(f[0]);
                if (!f[1].equals("-")) {
                    passwords.put(f[0], f[1].toCharArray());
                }
            }
        }
        float[] delta = new float[Integer.parseInt(args[3])];
        java.util.Arrays.fill(delta, 1e-4f);
        // compile the answer path before the clock runs: the benchmark measures the coordinator, not this JIT
        long sink = 0;
        for (int i = 0; i < 20_000; i++) {
            sink += WireCodec.encode(new ModelUpdate(i, "warm-up", "model", 1, delta, 10, 1f, 0.5f), NumberFormat.S16, 0).length;
        }
        if (sink == 0) {
            throw new IllegalStateException("no update encoded");
        }
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                ManagementFactory.getOperatingSystemMXBean();
        try (LoadFleet load = new LoadFleet(args[0], Integer.parseInt(args[1]), Topics.of(args[2]), ids,
                passwords.isEmpty() ? null : passwords, delta, 1, Duration.ofMinutes(10))) {
            System.out.println("ready " + load.size());
            System.out.flush();
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
                    StandardCharsets.US_ASCII));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.trim().equals("cpu")) {
                    System.out.println("cpu " + os.getProcessCpuTime() + " answered " + load.answered() + " failed "
                            + load.failed());
                    System.out.flush();
                }
            }
        }
    }

    /** A {@link LoadFleet} in a child JVM of this one's Java and class path. */
    static final class Remote implements AutoCloseable {
        private final Process process;
        private final java.io.BufferedReader out;
        private final java.io.PrintWriter in;

        Remote(String host, int port, Topics topics, List<String> ids, Map<String, char[]> passwords, int parameters,
               java.nio.file.Path dir) throws Exception {
            java.nio.file.Path devices = dir.resolve("load-devices");
            StringBuilder sb = new StringBuilder();
            for (String id : ids) {
                char[] p = passwords == null ? null : passwords.get(id);
                sb.append(id).append(' ').append(p == null ? "-" : new String(p)).append('\n');
            }
            java.nio.file.Files.writeString(devices, sb.toString());
            String javaBinary = ProcessHandle.current().info().command().orElse("java");
            process = new ProcessBuilder(javaBinary, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                    LoadFleet.class.getName(), host, String.valueOf(port), topics.fleet(), String.valueOf(parameters),
                    devices.toString()).redirectError(dir.resolve("load.log").toFile()).start();
            out = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
            in = new java.io.PrintWriter(process.getOutputStream(), true, StandardCharsets.US_ASCII);
            String ready = out.readLine();
            if (ready == null || !ready.startsWith("ready ")) {
                process.destroyForcibly();
                throw new IllegalStateException("the load generator did not connect its devices; its log: "
                        + java.nio.file.Files.readString(dir.resolve("load.log")));
            }
        }

        /** The child's CPU time so far, in nanoseconds. */
        long cpuNanos() throws java.io.IOException {
            in.println("cpu");
            String line = out.readLine();
            if (line == null) {
                throw new java.io.IOException("the load generator exited");
            }
            return Long.parseLong(line.split(" ")[1]);
        }

        @Override
        public void close() throws InterruptedException {
            in.close();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
