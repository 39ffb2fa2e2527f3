package io.tinyfed.coordinator.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceCredentialsTest {
    @Test
    void aGeneratedSecret_verifiesOnlyForItsDevice_isNeverTheSameTwice_andSurvivesTheFile(@TempDir Path dir) throws Exception {
        DeviceCredentials c = DeviceCredentials.empty();
        char[] first = c.generate("dev-1");
        char[] second = c.generate("dev-2");

        assertThat(first).hasSize(22).isNotEqualTo(second);
        assertThat(c.verify("dev-1", first)).isTrue();
        assertThat(c.verify("dev-2", first)).isFalse();
        assertThat(c.verify("dev-1", "wrong".toCharArray())).isFalse();
        Path file = dir.resolve("credentials");
        c.write(file);
        DeviceCredentials read = DeviceCredentials.read(file);
        assertThat(read.verify("dev-2", second)).isTrue();
        // a generated secret is stretched less than a chosen password: 1,000 against 100,000 iterations
        assertThat(Files.readString(file)).contains("dev-1 pbkdf2-sha256$1000$");
        c.put("dev-3", "chosen".toCharArray()).write(file);
        assertThat(Files.readString(file)).contains("dev-3 pbkdf2-sha256$100000$");
    }
}
