package io.tinyfed.simulators.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ImageCsvTest {
    private static Path fixture(String name) throws Exception {
        return Path.of(ImageCsvTest.class.getResource("/fixtures/" + name).toURI());
    }

    @Test
    void read_scalesPixelsAndKeepsLabels() throws Exception {
        LabelledImages images = ImageCsv.read(fixture("tiny-digits.csv"), 2, 2, 16f, 10);

        assertThat(images.size()).isEqualTo(2);
        assertThat(images.pixels().get(0)).containsExactly(0f, 1f, 0.5f, 0.25f);
        assertThat(images.labels()).containsExactly(3, 1);
    }

    @Test
    void read_refusesALineWithTheWrongFieldCount() throws Exception {
        assertThatThrownBy(() -> ImageCsv.read(fixture("malformed-digits.csv"), 2, 2, 16f, 10))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("malformed-digits.csv line 2: 4 fields, expected 5");
    }

    @Test
    void read_refusesPixelsOutOfRangeLabelsOutOfRangeAndText() {
        assertThatThrownBy(() -> read("0,17,0,0,1\n")).hasMessageContaining("line 1 field 2: pixel 17 outside [0, 16.0]");
        assertThatThrownBy(() -> read("0,1,0,0,10\n")).hasMessageContaining("label 10 is not an integer in [0, 10)");
        assertThatThrownBy(() -> read("0,1,0,0,2.5\n")).hasMessageContaining("label 2.5 is not an integer");
        assertThatThrownBy(() -> read("0,x,0,0,1\n")).hasMessageContaining("'x' is not a number");
        assertThatThrownBy(() -> read("")).hasMessageContaining("no images");
    }

    @Test
    void bundledDigits_areTheUciFile() throws Exception {
        try (var in = ImageCsvTest.class.getResourceAsStream("/datasets/digits.csv.gz")) {
            LabelledImages digits = ImageCsv.read(in, "digits.csv.gz", 8, 8, 16f, 10);

            assertThat(digits.size()).isEqualTo(1797);
            assertThat(digits.width() * digits.height()).isEqualTo(64);
        }
    }

    private static LabelledImages read(String text) throws Exception {
        return ImageCsv.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)), "inline.csv", 2, 2, 16f, 10);
    }
}
