package io.tinyfed.registry.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tinyfed.registry.ImportOptions;
import io.tinyfed.registry.vocabulary.TF;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class KilobyteTest {
    private static final Path BOARD = Path.of("src/test/resources/fixtures/published-board.ttl");
    private static final String BOARD_IRI = "http://tinyml-schema.org/tinyml-demo/board-ble-sense-7";

    private static long ram(Importers.Result r) {
        return r.model().getResource(BOARD_IRI).getProperty(TF.RAM_BYTES).getLong();
    }

    @Test
    void aKilobyteIs1024BytesByDefault_or1000WhenTheSourceSaysSo_andTheImportReportsWhichOne() throws Exception {
        byte[] bytes = Files.readAllBytes(BOARD);

        Importers.Result datasheet = Importers.read("board.ttl", bytes);
        Importers.Result decimal = Importers.read("board.ttl", bytes, new ImportOptions(1000));

        assertThat(ram(datasheet)).isEqualTo(256 * 1024);
        assertThat(ram(decimal)).isEqualTo(256 * 1000);
        assertThat(datasheet.skipped()).anyMatch(s -> s.contains("RAM in kilobytes read as 1024 bytes each")
                && s.contains("--kilobyte 1000"));
        assertThat(decimal.skipped()).anyMatch(s -> s.contains("RAM in kilobytes read as 1000 bytes each"));
        assertThatThrownBy(() -> new ImportOptions(1016)).hasMessageContaining("1000 or 1024");
    }
}
