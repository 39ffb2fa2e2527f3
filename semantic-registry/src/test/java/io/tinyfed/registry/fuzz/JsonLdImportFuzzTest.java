package io.tinyfed.registry.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tinyfed.registry.InvalidDescriptionException;
import io.tinyfed.registry.importer.Importers;

/**
 * The importer for {@code .jsonld} files: any bytes give a result or an {@link InvalidDescriptionException},
 * and never a network connection (a remote {@code @context} is refused, not fetched).
 */
class JsonLdImportFuzzTest {
    @FuzzTest
    void read(byte[] bytes) {
        try {
            Importers.read("d.jsonld", bytes);
        } catch (InvalidDescriptionException refused) {
            // a refusal with a reason is the contract
        }
    }
}
