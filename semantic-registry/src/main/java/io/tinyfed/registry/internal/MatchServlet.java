package io.tinyfed.registry.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tinyfed.registry.DeviceMatch;
import io.tinyfed.registry.Exclusion;
import io.tinyfed.registry.Iris;
import io.tinyfed.registry.ModelMatch;
import io.tinyfed.registry.Purpose;
import io.tinyfed.registry.Registry;
import io.tinyfed.registry.RegistryException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /tinyfed/match} on the registry's SPARQL endpoint: matchmaking for HTTP clients, as
 * {@code tinyfed registry match} answers it. {@code ?model=IRI|ID[&version=N]} lists the devices that can run the
 * model ({@code training=true}: train it; {@code explain=true}: also every excluded device and what it misses);
 * {@code ?device=IRI} lists the models that fit a device. JSON; a bad request is 400 with {@code {"error": ...}}.
 */
public final class MatchServlet extends HttpServlet {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final transient Registry registry;

    public MatchServlet(Registry registry) {
        this.registry = registry;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String model = request.getParameter("model");
        String device = request.getParameter("device");
        Purpose purpose = "true".equals(request.getParameter("training")) ? Purpose.TRAINING : Purpose.INFERENCE;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("purpose", purpose.name().toLowerCase(java.util.Locale.ROOT));
        try {
            if ((model == null) == (device == null)) {
                fail(response, 400, "give model=IRI|ID or device=IRI");
                return;
            }
            List<Map<String, Object>> matches = new ArrayList<>();
            if (device != null) {
                body.put("device", device);
                for (ModelMatch m : registry.modelsFor(device, purpose)) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("model", m.modelIri());
                    row.put("name", m.name());
                    row.put("format", m.format());
                    row.put("arenaBytes", m.arenaBytes());
                    row.put("arenaEstimated", m.arenaEstimated());
                    row.put("trainableLayers", m.trainableLayers());
                    matches.add(row);
                }
                body.put("matches", matches);
            } else {
                String iri = modelIri(model, request.getParameter("version"), response);
                if (iri == null) {
                    return;
                }
                body.put("model", iri);
                for (DeviceMatch m : registry.devicesFor(iri, purpose)) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("device", m.deviceIri());
                    row.put("format", m.format());
                    row.put("arenaBytes", m.arenaBytes());
                    row.put("arenaEstimated", m.arenaEstimated());
                    row.put("ramBytes", m.ramBytes());
                    row.put("trainableLayers", m.trainableLayers());
                    matches.add(row);
                }
                body.put("matches", matches);
                if ("true".equals(request.getParameter("explain"))) {
                    List<Map<String, Object>> excluded = new ArrayList<>();
                    for (Exclusion e : registry.exclusions(iri, purpose)) {
                        excluded.add(Map.of("device", e.deviceIri(), "reasons", e.reasons()));
                    }
                    body.put("excluded", excluded);
                }
            }
        } catch (RegistryException e) {
            fail(response, 400, e.getMessage());
            return;
        }
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        JSON.writeValue(response.getOutputStream(), body);
    }

    /** The model's IRI: given, or a model id's version ({@code latest} when not given); null after a 4xx. */
    private String modelIri(String model, String version, HttpServletResponse response) throws IOException {
        if (model.contains(":")) {
            return model;
        }
        if (version == null || version.equals("latest")) {
            java.util.OptionalLong latest = registry.latestVersion(model);
            if (latest.isEmpty()) {
                fail(response, 404, "no versions of model " + model);
                return null;
            }
            return Iris.version(model, latest.getAsLong());
        }
        if (!version.matches("\\d{1,18}")) {
            fail(response, 400, "version: a number or latest");
            return null;
        }
        return Iris.version(model, Long.parseLong(version));
    }

    private static void fail(HttpServletResponse response, int status, String error) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        JSON.writeValue(response.getOutputStream(), Map.of("error", error));
    }
}
