package io.tinyfed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class QuantizerTest {

    @Test
    void toS16_choosesScalesFromObservedRanges() {
        Architecture arch = Architecture.builder(2).dense(1).build();
        Model f32 = Model.ofF32(arch, new float[] {1.5f, -0.25f, 0.1f});
        Model s16 = Quantizer.toS16(f32, List.of(new float[] {3f, -1f}, new float[] {-2f, 0.5f}));
        // weights max 1.5 with one bit headroom -> Q2.13; bias 0.1 -> frac 14; inputs max 3 -> frac 13
        assertThat(s16.tensorFrac(0)).isEqualTo(13);
        assertThat(s16.tensorFrac(1)).isEqualTo(14);
        assertThat(s16.inputFrac()).isEqualTo(13);
        // outputs 1.5*3 + 0.25 + 0.1 = 4.85 and |-3 - 0.125 + 0.1| = 3.025 -> max 4.85, headroom -> frac 11
        assertThat(s16.outputFrac(0)).isEqualTo(11);
        assertThat(s16.s16Parameters()).containsExactly((short) 12288, (short) -2048, (short) 1638);
    }

    @Test
    void roundTrip_isWithinHalfAnLsbPerParameter() {
        Model f32 = Model.initialize(TestData.SINE, 7);
        Model s16 = Quantizer.toS16(f32, TestData.inputs(TestData.sine(5, 0, 50, 1)));
        float[] back = Quantizer.toF32(s16).f32Parameters();
        float[] original = f32.f32Parameters();
        for (int t = 0; t < TestData.SINE.tensorCount(); t++) {
            float halfLsb = (float) Math.scalb(0.5, -s16.tensorFrac(t));
            for (int i = f32.tensorOffset(t); i < f32.tensorOffset(t) + f32.tensorLength(t); i++) {
                assertThat(back[i]).isCloseTo(original[i], within(halfLsb));
            }
        }
        assertThat(Quantizer.toS16(Quantizer.toF32(s16), TestData.inputs(TestData.sine(5, 0, 50, 1))))
                .as("S16 -> F32 -> S16 is exact").isEqualTo(s16);
    }
}
