package io.tinyfed.firmware;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.ArenaPlan;
import io.tinyfed.core.DeltaCompressor;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.core.Quantizer;
import io.tinyfed.core.SparseDelta;
import io.tinyfed.core.TrainingConfig;
import io.tinyfed.core.internal.Layout;
import io.tinyfed.export.CExport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Scanner;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The C runtime's uplink compression ({@code tf_compress_s16}, its residual in the arena) against the JVM's
 * {@link DeltaCompressor} on an S16 device, round after round with the residual carried: the same positions, int8
 * values, block exponents and residual, bit for bit. Rounds change scales (as scale adaptation does), send from 0.1% to
 * all of the values, and hold many equal magnitudes (one-LSB changes), so ties at the threshold are decided too.
 */
class CCompressParityTest {
    @TempDir
    Path dir;

    private static final Architecture SINE = Architecture.mlp(Layer.Kind.TANH, 1, 40, 40, 1);
    private static final int[] PERMILLE = {100, 100, 10, 1, 250, 1000, 50, 100, 100, 100};

    @Test
    void cCompression_matchesTheJavaCompressorRoundAfterRound() throws Exception {
        TrainingConfig config = TrainingConfig.builder().learningRate(0.02f).uplinkResidual(true).build();
        Model s16 = Quantizer.toS16(Model.initialize(SINE, 3), List.of(new float[] {-4f}, new float[] {4f}));
        CExport.export(s16, "model", dir, config);
        Files.copy(Path.of("src/test/c/compress_parity.c"), dir.resolve("compress_parity.c"));
        Toolchain.gcc(dir, "compress_parity", "compress_parity.c", "model.c", "tinyfed.c", "tinyfed_tables.c");

        int n = s16.parameterCount();
        int tensors = SINE.tensorCount();
        int[] tensorStart = Layout.plan(SINE, NumberFormat.S16, config).tensorStart;
        SplittableRandom r = new SplittableRandom(11);
        StringBuilder input = new StringBuilder().append(PERMILLE.length).append('\n');
        List<float[]> deltas = new ArrayList<>();
        for (int round = 0; round < PERMILLE.length; round++) {
            int[] baseFrac = new int[tensors];
            int[] adaptedFrac = new int[tensors];
            short[] base = new short[n];
            short[] adapted = new short[n];
            for (int t = 0; t < tensors; t++) {
                baseFrac[t] = s16.tensorFrac(t) - (round % 3 == 2 ? 1 : 0);
                adaptedFrac[t] = baseFrac[t] - (r.nextInt(4) == 0 ? 1 : 0); // some tensors gave up a bit
                for (int i = tensorStart[t]; i < tensorStart[t + 1]; i++) {
                    base[i] = (short) (s16.s16Parameters()[i] >> (s16.tensorFrac(t) - baseFrac[t]));
                    int moved = adaptedFrac[t] == baseFrac[t] ? base[i] : base[i] >> 1;
                    int step = round % 2 == 0 ? r.nextInt(-1, 2) : (int) Math.round(r.nextGaussian() * 40);
                    adapted[i] = (short) Math.max(-32768, Math.min(32767, moved + step));
                }
            }
            float[] delta = new float[n];
            for (int t = 0; t < tensors; t++) {
                float sa = (float) Math.scalb(1.0, -adaptedFrac[t]);
                float sb = (float) Math.scalb(1.0, -baseFrac[t]);
                for (int i = tensorStart[t]; i < tensorStart[t + 1]; i++) {
                    delta[i] = adapted[i] * sa - base[i] * sb;
                }
            }
            deltas.add(delta);
            input.append(PERMILLE[round]).append('\n');
            append(input, baseFrac, base);
            append(input, adaptedFrac, adapted);
        }

        String out = Toolchain.run(dir, input.toString(), List.of(dir.resolve("compress_parity").toString()));

        DeltaCompressor java = new DeltaCompressor(n, NumberFormat.S16, true);
        Scanner c = new Scanner(out);
        for (int round = 0; round < PERMILLE.length; round++) {
            SparseDelta expected = java.compress(deltas.get(round), PERMILLE[round] / 1000.0);
            assertThat(c.next()).as("round %d", round).isEqualTo("count");
            int count = c.nextInt();
            assertThat(count).as("round %d: values sent", round).isEqualTo(expected.indices().length);
            for (int j = 0; j < count; j++) {
                assertThat(c.nextInt()).as("round %d: position %d", round, j).isEqualTo(expected.indices()[j]);
                assertThat(c.nextInt()).as("round %d: value %d", round, j).isEqualTo(expected.values()[j]);
            }
            for (int b = 0; b < expected.blockFrac().length; b++) {
                assertThat(c.nextInt()).as("round %d: block %d", round, b).isEqualTo(expected.blockFrac()[b]);
            }
            int residualFrac = c.nextInt();
            float[] residual = java.residual();
            for (int i = 0; i < n; i++) {
                assertThat((float) Math.scalb((double) c.nextInt(), -residualFrac)).as("round %d: residual %d", round, i)
                        .isEqualTo(residual[i]);
            }
        }
        assertThat(c.hasNext()).isFalse();
    }

    @Test
    void thePlannerCountsTheResidualExactly() {
        TrainingConfig with = TrainingConfig.builder().uplinkResidual(true).build();
        TrainingConfig without = TrainingConfig.builder().build();
        for (NumberFormat format : NumberFormat.values()) {
            ArenaPlan a = ArenaPlan.of(SINE, format, with);
            ArenaPlan b = ArenaPlan.of(SINE, format, without);
            long residual = DeltaCompressor.residualBytes(SINE.parameterCount(), format, true);
            // every part is padded to 4 bytes: the int16 residual of an odd parameter count takes one more value
            long padded = format == NumberFormat.S16 ? (SINE.parameterCount() + 1) / 2 * 4L + 4 : residual;
            assertThat(a.bytes(ArenaPlan.UPLINK_RESIDUAL)).as("%s", format).isEqualTo(padded)
                    .isBetween(residual, residual + 2);
            assertThat(a.totalBytes() - b.totalBytes()).isEqualTo(padded);
        }
    }

    private static void append(StringBuilder sb, int[] fracs, short[] params) {
        for (int f : fracs) {
            sb.append(f).append(' ');
        }
        sb.append('\n');
        for (short p : params) {
            sb.append(p).append(' ');
        }
        sb.append('\n');
    }
}
