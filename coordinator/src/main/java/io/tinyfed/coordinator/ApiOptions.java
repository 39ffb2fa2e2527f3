package io.tinyfed.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * Where a running coordinator's HTTP API is and how to authenticate to it: the options and the
 * client of the commands that use it ({@code tinyfed deploy}, {@code tinyfed model}).
 */
final class ApiOptions {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--api", defaultValue = "http://127.0.0.1:8080", description = "The coordinator's HTTP API "
            + "(default: ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--store", defaultValue = "tinyfed-store", description = "The coordinator's store, for its API "
            + "token (default: ${DEFAULT-VALUE}).")
    Path store;

    @Option(names = "--token-file", description = "The API token file (default: STORE/api.token).")
    Path tokenFile;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    JsonNode get(String path) throws Exception {
        return JSON.readTree(send(HttpRequest.newBuilder(uri(path)).GET(), false));
    }

    /** The body of a GET as it is (a snapshot, say). */
    byte[] bytes(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET(), false);
    }

    JsonNode post(String path, String body) throws Exception {
        return JSON.readTree(send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)), true));
    }

    private URI uri(String path) {
        try {
            return URI.create(url.replaceAll("/+$", "") + path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--api " + url + " is not a URL, e.g. http://127.0.0.1:8080");
        }
    }

    private byte[] send(HttpRequest.Builder request, boolean authenticated) throws Exception {
        if (authenticated) {
            Path file = tokenFile != null ? tokenFile : store.resolve("api.token");
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException("no API token at " + file + ": pass --store DIR (the coordinator's "
                        + "store) or --token-file FILE");
            }
            request.header("Authorization", "Bearer " + Files.readString(file).trim());
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new IllegalStateException("no coordinator answers at " + url + ": start one (./tinyfed coordinator) "
                    + "or pass --api URL");
        }
        if (response.statusCode() >= 400) {
            String reason = new String(response.body(), StandardCharsets.UTF_8);
            try {
                JsonNode error = JSON.readTree(reason).get("error");
                if (error != null) {
                    reason = error.asText();
                }
            } catch (IOException ignored) {
                // not JSON: the body as it is
            }
            throw new IllegalStateException(reason.isBlank() ? "HTTP " + response.statusCode() : reason);
        }
        return response.body();
    }
}
