package io.tinyfed.registry.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /console/} on the registry's endpoint: the SPARQL console and matchmaking page the coordinator's
 * dashboard also shows, as static files from the classpath (a fixed list; nothing else is served), and
 * {@code /console/queries}, the shipped example queries as JSON. The page talks only to this endpoint.
 */
public final class ConsoleServlet extends HttpServlet {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SHARED = "/io/tinyfed/registry/console/";
    private static final String PAGE = "/io/tinyfed/registry/console-page/";
    /** What the console serves: name, classpath resource, content type. */
    private static final Map<String, String[]> FILES = Map.of(
            "", new String[] {PAGE + "index.html", "text/html; charset=utf-8"},
            "registry.js", new String[] {PAGE + "registry.js", "text/javascript; charset=utf-8"},
            "tinyfed-console.js", new String[] {SHARED + "tinyfed-console.js", "text/javascript; charset=utf-8"},
            "tinyfed.css", new String[] {SHARED + "tinyfed.css", "text/css; charset=utf-8"});

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo();
        if (path == null) {
            response.sendRedirect(request.getRequestURI() + "/");
            return;
        }
        String name = path.substring(1);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                + "form-action 'none'");
        response.setHeader("Referrer-Policy", "no-referrer");
        if (name.equals("queries")) {
            List<Map<String, String>> queries = new java.util.ArrayList<>();
            for (String q : Resources.EXAMPLE_QUERIES) {
                Map<String, String> entry = new LinkedHashMap<>();
                entry.put("name", q);
                entry.put("text", Resources.queryText(q));
                queries.add(entry);
            }
            response.setContentType("application/json");
            response.setCharacterEncoding("UTF-8");
            JSON.writeValue(response.getOutputStream(), queries);
            return;
        }
        String[] file = FILES.get(name);
        if (file == null) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND, "the console has no " + name);
            return;
        }
        try (InputStream in = ConsoleServlet.class.getResourceAsStream(file[0])) {
            if (in == null) {
                throw new IllegalStateException("console file " + file[0] + " missing from the classpath");
            }
            response.setContentType(file[1]);
            response.setHeader("Cache-Control", "no-cache");
            in.transferTo(response.getOutputStream());
        }
    }
}
