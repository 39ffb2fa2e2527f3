package io.tinyfed.registry.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.tinyfed.registry.InvalidDescriptionException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What fuzzing the importers found, as regression tests. */
class ImporterFindingsTest {
    @Test
    void aJsonLdFileWithARemoteContext_isRefusedWithoutARequest() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger requests = new AtomicInteger();
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            byte[] body = "{\"@context\": {\"x\": \"http://example.org/x\"}}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/context.jsonld";
            byte[] doc = ("{\"@context\": \"" + url + "\", \"@id\": \"http://example.org/d\", \"x\": \"1\"}")
                    .getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> Importers.read("device.jsonld", doc)).isInstanceOf(InvalidDescriptionException.class)
                    .hasMessageContaining("not fetched");
            assertThat(requests.get()).isZero();
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aMemoryUnitThatIsABlankNode_isANoteNotACrash() throws Exception {
        // the input the fuzzer found: a WoT TD whose flash unitCode is a blank node ("@ie" for "@id")
        byte[] td = Fixtures.bytes("/io/tinyfed/registry/fuzz/WotImportFuzzTestInputs/read/"
                + "crash-689064b2af054cfc24c62ef310e8fc63566c02c5");
        Importers.Result r = Importers.read("thermostat.td.json", td);
        assertThat(r.skipped()).anySatisfy(note -> assertThat(note).contains("(a blank node)"));
    }

    @Test
    void aTfliteVectorWithANegativeLength_isACorruptFileNotACrash() throws Exception {
        // the input the fuzzer found: a vector length of -1 in an operator's inputs
        byte[] model = Fixtures.bytes("/io/tinyfed/registry/fuzz/TfliteImportFuzzTestInputs/read/"
                + "crash-b31e0b7855574ccc5f546a599a6857ff22bc0c65");
        assertThatThrownBy(() -> Importers.read("model.tflite", model)).isInstanceOf(InvalidDescriptionException.class)
                .hasMessageContaining("corrupt");
    }

    private static final class Fixtures {
        static byte[] bytes(String resource) throws java.io.IOException {
            try (var in = ImporterFindingsTest.class.getResourceAsStream(resource)) {
                return in.readAllBytes();
            }
        }
    }
}
