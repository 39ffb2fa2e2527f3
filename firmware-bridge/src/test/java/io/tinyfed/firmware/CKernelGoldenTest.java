package io.tinyfed.firmware;

import io.tinyfed.export.CExport;
import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.core.Architecture;
import io.tinyfed.core.Layer;
import io.tinyfed.core.Model;
import io.tinyfed.core.Quantizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java kernel tests' golden vectors (src/test/c/kernels_test.c) against the C runtime, built with gcc. */
class CKernelGoldenTest {
    @TempDir
    Path dir;

    @Test
    void cKernels_matchTheJavaGoldenVectors() throws Exception {
        Model any = Quantizer.toS16(Model.initialize(Architecture.mlp(Layer.Kind.RELU, 1, 2, 1), 1),
                List.of(new float[] {1f}));
        CExport.export(any, "model", dir); // the runtime and the generated tables
        Files.copy(Path.of("src/test/c/kernels_test.c"), dir.resolve("kernels_test.c"));
        Toolchain.gcc(dir, "kernels_test", "kernels_test.c", "tinyfed_tables.c");

        String out = Toolchain.run(dir, null, List.of(dir.resolve("kernels_test").toString()));

        assertThat(out.trim()).isEqualTo("ok 15");
    }
}
