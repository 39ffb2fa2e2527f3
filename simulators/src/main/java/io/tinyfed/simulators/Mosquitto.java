package io.tinyfed.simulators;

import io.tinyfed.coordinator.broker.MosquittoAcl;
import io.tinyfed.protocol.Topics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Mosquitto broker of its own for one run (a benchmark, a test): a free loopback port, a password file (hashed by
 * {@code mosquitto_passwd -U}) and an ACL file, and any further configuration such as a bridge. {@link #forFleet}
 * gives every device its secret, adds the coordinator's, and confines devices with the fleet's {@link MosquittoAcl},
 * as the embedded broker does.
 */
public final class Mosquitto implements AutoCloseable {
    public static final String COORDINATOR = "tinyfed-coordinator";
    private static final Path BINARY = Path.of("/usr/sbin/mosquitto");
    private static final Path PASSWD = Path.of("/usr/bin/mosquitto_passwd");
    private final Process process;
    private final int port;
    private final char[] coordinatorPassword;
    private final Path log;

    Mosquitto(Process process, int port, char[] coordinatorPassword, Path log) {
        this.process = process;
        this.port = port;
        this.coordinatorPassword = coordinatorPassword;
        this.log = log;
    }

    public static boolean installed() {
        return Files.isExecutable(BINARY) && Files.isExecutable(PASSWD);
    }

    /** A broker for {@code topics}' fleet: the devices' passwords, the coordinator's (generated), the fleet's ACL. */
    public static Mosquitto forFleet(Path dir, Topics topics, Map<String, char[]> devicePasswords)
            throws IOException, InterruptedException {
        char[] coordinator = io.tinyfed.coordinator.broker.DeviceCredentials.newSecret();
        Map<String, char[]> users = new java.util.LinkedHashMap<>();
        users.put(COORDINATOR, coordinator);
        users.putAll(devicePasswords);
        return start(dir, users, MosquittoAcl.render(topics, COORDINATOR), "", coordinator);
    }

    /**
     * Starts Mosquitto with these users (name to password), this {@code acl_file} text and {@code extraConf} appended
     * to its configuration (e.g. a bridge); waits until it listens.
     *
     * @param coordinatorPassword what {@link #coordinatorPassword()} returns (may be null)
     */
    public static Mosquitto start(Path dir, Map<String, char[]> users, String acl, String extraConf,
                                  char[] coordinatorPassword) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        StringBuilder plain = new StringBuilder();
        users.forEach((id, p) -> plain.append(id).append(':').append(p).append('\n'));
        Path passwords = Files.writeString(dir.resolve("passwords"), plain.toString());
        Process hash = new ProcessBuilder(PASSWD.toString(), "-U", passwords.toString()).redirectErrorStream(true).start();
        String hashOut = new String(hash.getInputStream().readAllBytes());
        if (hash.waitFor() != 0) {
            throw new IOException("mosquitto_passwd -U failed: " + hashOut);
        }
        Path aclFile = Files.writeString(dir.resolve("acl"), acl);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        StringBuilder conf = new StringBuilder();
        if ("root".equals(System.getProperty("user.name"))) {
            conf.append("user root\n"); // as root Mosquitto would switch to its own user, who cannot read these files
        }
        conf.append("per_listener_settings false\nallow_anonymous false\npersistence false\n")
                .append("password_file ").append(passwords).append('\n')
                .append("acl_file ").append(aclFile).append('\n')
                .append("max_inflight_messages 100\nmax_queued_messages 100000\n")
                .append("listener ").append(port).append(" 127.0.0.1\n")
                .append("log_type error\nlog_type warning\nlog_type notice\nlog_dest stdout\n")
                .append(extraConf);
        Path confFile = Files.writeString(dir.resolve("mosquitto.conf"), conf.toString());
        Path log = dir.resolve("mosquitto.log");
        Process p = new ProcessBuilder(BINARY.toString(), "-c", confFile.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!listening(port)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IOException("mosquitto did not start; its log: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        return new Mosquitto(p, port, coordinatorPassword, log);
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "tcp://127.0.0.1:" + port;
    }

    public char[] coordinatorPassword() {
        return coordinatorPassword;
    }

    public Path log() {
        return log;
    }

    /** The broker process's CPU time so far (user and system, from /proc; 0 where there is no /proc), in nanoseconds. */
    long cpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
            return ticks * 10_000_000L; // USER_HZ is 100 on Linux
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
