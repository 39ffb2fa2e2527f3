package io.tinyfed.registry.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tinyfed.registry.InvalidDescriptionException;
import io.tinyfed.registry.importer.Importers;

/** The importer for {@code m.tflite} files: any bytes give a result or an {@link InvalidDescriptionException}. */
class TfliteImportFuzzTest {
    @FuzzTest
    void read(byte[] bytes) {
        try {
            Importers.read("m.tflite", bytes);
        } catch (InvalidDescriptionException refused) {
            // a refusal with a reason is the contract
        }
    }
}
