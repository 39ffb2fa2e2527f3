package io.tinyfed.registry.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Apache Jena Fuseki (the version TinyFed ships) in a process of its own, serving a TDB2 dataset from a
 * directory on a free loopback port, with updates allowed and no authentication: a plain SPARQL 1.1
 * store to measure the remote backend against ({@code ./tinyfed bench registry --fuseki}). Not for a
 * fleet's registry: there, {@code tinyfed registry serve} adds the admin password and query limits.
 */
public final class FusekiProcess implements AutoCloseable {
    public static final String DATASET = "registry";
    private static final Duration STARTUP = Duration.ofSeconds(60);

    private final Process process;
    private final Path log;
    private final int port;

    private FusekiProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** Starts Fuseki on {@code directory} (created if missing) and waits until it answers a query. */
    public static FusekiProcess start(Path directory) throws IOException, InterruptedException {
        Files.createDirectories(directory.resolve("tdb2"));
        Path log = directory.resolve("fuseki.log");
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) { // a free port can be taken between the probe and the bind
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(List.of(java, "-Xmx1g", "-Dlogback.configurationFile=logback-tinyfed-registry.xml",
                    "-cp", System.getProperty("java.class.path"),
                    FusekiProcess.class.getName(), "--localhost", "--port=" + port, "--update",
                    "--loc=" + directory.resolve("tdb2"), "/" + DATASET))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            FusekiProcess f = new FusekiProcess(p, log, port);
            try {
                f.awaitReady();
                return f;
            } catch (IOException e) {
                f.close();
                last = e;
            }
        }
        throw last;
    }

    public String datasetUrl() {
        return "http://127.0.0.1:" + port + "/" + DATASET;
    }

    /** The process's output so far (for a failure report). */
    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void awaitReady() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI ask = URI.create(datasetUrl() + "/query?query=" + URLEncoder.encode("ASK {}", StandardCharsets.UTF_8));
        long end = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IOException("Fuseki exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                if (http.send(HttpRequest.newBuilder(ask).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IOException("Fuseki did not answer within " + STARTUP.toSeconds() + " s:\n" + log());
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The process itself: Fuseki's own command line, logging through TinyFed's configuration. */
    public static void main(String[] args) {
        org.apache.jena.fuseki.system.FusekiLogging.markInitialized(true);
        org.apache.jena.fuseki.main.cmds.FusekiMain.run(args);
    }
}
