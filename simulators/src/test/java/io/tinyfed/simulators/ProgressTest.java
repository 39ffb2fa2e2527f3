package io.tinyfed.simulators;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void withoutATerminal_progressIsOnePlainLinePerTenth() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        try (Progress p = Progress.start("rounds", 20, false, new PrintStream(err, true, StandardCharsets.UTF_8))) {
            for (int k = 0; k < 20; k++) {
                p.step();
            }
            p.stepTo(5); // never backwards
        }

        String expected = java.util.stream.IntStream.rangeClosed(1, 10)
                .mapToObj(t -> "rounds: " + 2 * t + "/20 (" + 10 * t + "%)").collect(java.util.stream.Collectors.joining("\n"));
        assertThat(err.toString(StandardCharsets.UTF_8).strip()).isEqualTo(expected);
    }

    @Test
    void onATerminal_otherOutputIsPrintedAboveTheBar_neverIntoIt() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream before = System.err;
        String clear = "\r\033[2K";

        try (Progress p = Progress.start("rounds", 4, true, new PrintStream(err, true, StandardCharsets.UTF_8))) {
            p.step();
            System.err.println("12:00:00.000 WARN  RoundEngine - refused update from dev-1");
            p.step();
            System.err.print("a line in ");
            System.err.println("two writes");
            p.stepTo(4);
        }

        String out = err.toString(StandardCharsets.UTF_8);
        assertThat(System.err).as("standard error restored").isSameAs(before);
        assertThat(out).contains("rounds").contains(clear + "12:00:00.000 WARN  RoundEngine - refused update from dev-1\n")
                .contains(clear + "a line in two writes\n").doesNotContain("a line in " + clear);
        // The bar is drawn again after each line: something follows each log line.
        assertThat(out.substring(out.indexOf("dev-1\n") + 6)).contains("rounds");
    }
}
