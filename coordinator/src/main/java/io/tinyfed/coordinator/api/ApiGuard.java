package io.tinyfed.coordinator.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;

/**
 * Every request must name an allowed host (a page on another site that rebinds its DNS name to
 * 127.0.0.1 sends its own name, and is refused), and every request that changes state (anything but
 * GET, HEAD and OPTIONS) must carry the API's bearer token.
 */
@ServerFilter("/**")
public final class ApiGuard {
    private final HttpApi.Access access;

    @Inject
    public ApiGuard(HttpApi.Access access) {
        this.access = access;
    }

    @RequestFilter
    @Nullable
    public HttpResponse<?> check(HttpRequest<?> request) {
        String host = hostOf(request.getHeaders().get("Host"));
        if (host == null || !access.allowedHosts().contains(host)) {
            return HttpResponse.status(HttpStatus.MISDIRECTED_REQUEST).body("host not served here: " + host);
        }
        HttpMethod m = request.getMethod();
        if (m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS) {
            return null;
        }
        String auth = request.getHeaders().get("Authorization");
        if (auth == null || !auth.startsWith("Bearer ") || !MessageDigest.isEqual(
                auth.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8), access.token())) {
            return HttpResponse.status(HttpStatus.UNAUTHORIZED).header("WWW-Authenticate", "Bearer")
                    .body("state changes need the API token: Authorization: Bearer <contents of " + access.tokenFile() + ">");
        }
        return null;
    }

    /**
     * Every answer says its content type is meant (no sniffing); the dashboard's pages also forbid anything
     * but their own origin's scripts, styles and requests, and being framed by another site.
     */
    @ResponseFilter
    public void headers(HttpRequest<?> request, MutableHttpResponse<?> response) {
        response.header("X-Content-Type-Options", "nosniff");
        if (request.getPath().startsWith("/dashboard")) {
            response.header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                    + "base-uri 'none'; form-action 'none'");
            response.header("Referrer-Policy", "no-referrer");
        }
    }

    /** The host name of a Host header, lower case, without its port; null when there is none. */
    static String hostOf(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? null : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }
}
