package io.tinyfed.firmware;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.coordinator.store.CoordinatorKeys;
import io.tinyfed.coordinator.store.ModelStore;
import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.ModelCodec;
import io.tinyfed.core.NumberFormat;
import io.tinyfed.protocol.ModelSnapshot;
import io.tinyfed.protocol.SnapshotSigner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ExportCommandTest {
    /** A coordinator's store holding versions 1..3 of sine, signed with its own key. */
    private static List<Model> storeWithThreeVersions(Path store) throws Exception {
        SnapshotSigner signer = CoordinatorKeys.loadOrCreate(store, "coordinator");
        ModelStore models = new ModelStore(store);
        List<Model> saved = new java.util.ArrayList<>();
        for (int v = 1; v <= 3; v++) {
            Model m = Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), v);
            models.save(signer.sign("sine", v, m, Instant.parse("2026-12-01T10:00:00Z")), v, v - 1, "reptile", List.of(),
                    Map.of(), null);
            saved.add(m);
        }
        return saved;
    }

    private static int run(StringWriter err, String... args) {
        CommandLine cli = io.tinyfed.protocol.cli.Cli.withErrorHandling(new CommandLine(new ExportCommand()));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void aStoredVersion_isVerifiedAndExported_asTheSameModelAsItsFile(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        List<Model> saved = storeWithThreeVersions(store);
        Path file = Files.write(dir.resolve("v2.tfm"), ModelCodec.encode(saved.get(1)));

        int fromStore = run(new StringWriter(), "c", "--store", store.toString(), "--model-version", "2", "--out",
                dir.resolve("from-store").toString());
        int fromFile = run(new StringWriter(), "c", "--model", file.toString(), "--out", dir.resolve("from-file").toString());
        int latest = run(new StringWriter(), "c", "--store", store.toString(), "--out", dir.resolve("latest").toString());

        assertThat(fromStore).isZero();
        assertThat(fromFile).isZero();
        assertThat(latest).isZero();
        assertThat(Files.readString(dir.resolve("from-store/model.c"))).isEqualTo(Files.readString(dir.resolve("from-file/model.c")));
        Model exported = ModelCodec.decode(Files.readAllBytes(dir.resolve("latest/model.tfm")));
        assertThat(exported.format()).isEqualTo(NumberFormat.S16);
        assertThat(Files.readString(dir.resolve("latest/model.c")))
                .isNotEqualTo(Files.readString(dir.resolve("from-store/model.c")));
    }

    @Test
    void aTamperedVersion_aMissingVersion_andNoStore_areOneLineErrors_andNothingIsWritten(@TempDir Path dir)
            throws Exception {
        Path store = dir.resolve("store");
        storeWithThreeVersions(store);
        Path meta = store.resolve("versions/sine/0000000003.json");
        String signature = new ModelStore(store).version("sine", 3).orElseThrow().signature();
        char first = signature.charAt(0);
        Files.writeString(meta, Files.readString(meta).replace(signature, (first == 'A' ? 'B' : 'A') + signature.substring(1)));

        StringWriter tampered = new StringWriter();
        StringWriter missing = new StringWriter();
        StringWriter noStore = new StringWriter();
        StringWriter badVersion = new StringWriter();
        int tamperedExit = run(tampered, "c", "--store", store.toString(), "--out", dir.resolve("t").toString());
        int missingExit = run(missing, "c", "--store", store.toString(), "--model-version", "9", "--out",
                dir.resolve("m").toString());
        int noStoreExit = run(noStore, "c", "--store", dir.resolve("nowhere").toString(), "--out", dir.resolve("n").toString());
        int badVersionExit = run(badVersion, "c", "--store", store.toString(), "--model-version", "newest", "--out",
                dir.resolve("b").toString());

        assertThat(tamperedExit).isEqualTo(1);
        assertThat(tampered.toString().strip()).startsWith("tinyfed export: sine version 3 in " + store
                + " does not verify against " + store.resolve("keys/trust.keys")).endsWith("not exported");
        assertThat(missingExit).isEqualTo(2);
        assertThat(missing.toString()).contains("has no version 9 of sine (it holds 1..3)");
        assertThat(noStoreExit).isEqualTo(2);
        assertThat(noStore.toString()).contains("not a coordinator's store");
        assertThat(badVersionExit).isEqualTo(2);
        assertThat(badVersion.toString()).contains("--model-version newest: a version number or latest");
        assertThat(tampered.toString() + missing + noStore + badVersion).doesNotContain("Exception");
        for (String out : List.of("t", "m", "n", "b")) {
            assertThat(dir.resolve(out)).doesNotExist();
        }
    }

    @Test
    void aBadCalibrationRange_isAOneLineUsageError(@TempDir Path dir) throws Exception {
        Path f32 = Files.write(dir.resolve("f32.tfm"), ModelCodec.encode(Model.initialize(
                Architecture.mlp(Layer.Kind.RELU, 1, 8, 1), 1)));

        for (String range : List.of("abc", "5:-5", "1", "1:x", "0:NaN")) {
            StringWriter err = new StringWriter();
            int exit = run(err, "c", "--model", f32.toString(), "--out", dir.resolve("out").toString(),
                    "--calibration-range", range);

            assertThat(exit).as(range).isEqualTo(2);
            assertThat(err.toString().lines().findFirst().orElseThrow()).as(range)
                    .isEqualTo("tinyfed export: --calibration-range " + range + ": expected LO:HI, two numbers with LO < HI, "
                            + "e.g. -5:5 (the range of the model's inputs)");
        }
        assertThat(dir.resolve("out")).doesNotExist();
    }
}
