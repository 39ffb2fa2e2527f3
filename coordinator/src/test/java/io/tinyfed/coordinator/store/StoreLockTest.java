package io.tinyfed.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreLockTest {
    @Test
    void aHeldStore_isRefusedWithTheHoldersProcess_andIsFreeAgainAfterClose(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");

        try (StoreLock held = StoreLock.acquire(store)) {
            assertThat(Files.readString(store.resolve(StoreLock.FILE)).strip())
                    .isEqualTo(String.valueOf(ProcessHandle.current().pid()));
            assertThatThrownBy(() -> StoreLock.acquire(store)).isInstanceOf(StoreLock.InUseException.class)
                    .hasMessage("store " + store + " is in use by another coordinator (process "
                            + ProcessHandle.current().pid() + "); stop it, or use another store directory");
        }
        try (StoreLock again = StoreLock.acquire(store)) {
            assertThat(again).isNotNull();
        }
    }
}
