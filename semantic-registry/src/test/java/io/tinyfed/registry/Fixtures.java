package io.tinyfed.registry;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.riot.RDFDataMgr;

/** Devices, models and files the registry tests share. */
final class Fixtures {
    static final Instant T0 = Instant.parse("2026-11-28T12:00:00Z");
    /** The sine meta-model: 1-40-40-1 tanh MLP. */
    static final Architecture SINE = Architecture.mlp(Layer.Kind.TANH, 1, 40, 40, 1);
    /** A model too big for a 32 KB MCU to train all layers in S16, small enough for the last layer. */
    static final Architecture WIDE = Architecture.mlp(Layer.Kind.RELU, 64, 96, 96, 10);

    private Fixtures() {
    }

    static DeviceDescription m0(String id) {
        return new DeviceDescription("f1", id, 32768, 262144, "cortex-m0plus", 48, Set.of("S16"), List.of("temperature"),
                "0.1.0", "tinyfed-c 0.1", null, true, T0);
    }

    static DeviceDescription m4(String id) {
        return new DeviceDescription("f1", id, 262144, 1048576, "cortex-m4", 80, Set.of("S16"), List.of("temperature"),
                "0.1.0", "tinyfed-c 0.1", null, true, T0);
    }

    static DeviceDescription gateway(String id) {
        return new DeviceDescription("f1", id, 536870912L, 8589934592L, "x86_64", 2000, Set.of("F32", "S16"), List.of(),
                "0.1.0", null, null, true, T0);
    }

    static ModelVersionDescription version(String modelId, long v, Architecture a, List<String> properties) {
        return ModelDescriptions.of(modelId, v, v > 1 ? v - 1 : null, a, properties, null, T0);
    }

    static Path file(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Model turtle(String name) {
        return RDFDataMgr.loadModel(file(name).toString());
    }
}
