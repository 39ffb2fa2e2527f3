package io.tinyfed.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.registry.Iris;
import io.tinyfed.registry.vocabulary.TF;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExplanationsTest {
    private static final MatchIndex.Need S8_100K = new MatchIndex.Need(TF.S8.getURI(),
            MatchIndex.formatBit(TF.S8.getURI()), 100_000, null, 50_000, false);
    private static final MatchIndex.Need F32_400K = new MatchIndex.Need(TF.F32.getURI(),
            MatchIndex.formatBit(TF.F32.getURI()), 400_000, null, 0, false);
    private static final Set<String> IMAGE = Set.of(Iris.property("image"));

    private static MatchIndex.Device device(long ram, long flash, Set<String> senses, String... formats) {
        MatchIndex.Device d = new MatchIndex.Device();
        d.ram = ram;
        d.flash = flash;
        for (String f : formats) {
            d.formats |= MatchIndex.formatBit(f);
        }
        d.senses = senses;
        return d;
    }

    @Test
    void eachMissedRequirement_isOneReasonWithItsNumbers_andAMatchingDeviceHasNone() {
        List<MatchIndex.Need> needs = List.of(S8_100K, F32_400K);

        assertThat(Explanations.reasons(device(200_000, 1_000_000, IMAGE, TF.S8.getURI()), needs, IMAGE)).isEmpty();
        assertThat(Explanations.reasons(device(90_000, 10_000, Set.of(), TF.S8.getURI(), TF.F32.getURI()), needs, IMAGE))
                .containsExactly("RAM short by 10,000 B (needs 100,000 B in S8, has 90,000 B)",
                        "flash short by 40,000 B (needs 50,000 B, has 10,000 B)", "no sensor of image");
        assertThat(Explanations.reasons(device(1_000_000, Long.MAX_VALUE, IMAGE, TF.S16.getURI()), needs, IMAGE))
                .containsExactly("no number format the model comes in (it: F32, S8; the device: S16)");
        // Fits in F32 though S8 would not fit its flash: a match, nothing to explain.
        assertThat(Explanations.reasons(device(500_000, 10_000, IMAGE, TF.S8.getURI(), TF.F32.getURI()), needs, IMAGE))
                .isEmpty();
        assertThat(Explanations.reasons(device(500_000, 0, IMAGE, TF.S8.getURI()), List.of(), IMAGE))
                .containsExactly("the model states no requirement for this purpose");
    }

    @Test
    void anEstimatedRequirement_saysSoInTheReason() {
        MatchIndex.Need estimated = new MatchIndex.Need(TF.S8.getURI(), MatchIndex.formatBit(TF.S8.getURI()), 100_000,
                null, 0, true);
        assertThat(Explanations.reasons(device(90_000, Long.MAX_VALUE, IMAGE, TF.S8.getURI()), List.of(estimated), IMAGE))
                .containsExactly("RAM short by 10,000 B (needs 100,000 B estimated in S8, has 90,000 B)");
    }
}
