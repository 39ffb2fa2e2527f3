package io.tinyfed.registry;

/**
 * How to read the descriptions of one source.
 *
 * @param kilobyteBytes what a kilobyte (om:kilobyte, "kB") means in this source's memory figures: 1024 (the
 *                      datasheet convention for MCU memory, the default) or 1000 (generators that write size/1000).
 *                      A kibibyte is 1024 either way. Each import reports which one it applied.
 */
public record ImportOptions(int kilobyteBytes) {
    /** Kilobytes of 1024 bytes. */
    public static final ImportOptions DEFAULT = new ImportOptions(1024);

    public ImportOptions {
        if (kilobyteBytes != 1000 && kilobyteBytes != 1024) {
            throw new IllegalArgumentException("a kilobyte is 1000 or 1024 bytes, not " + kilobyteBytes);
        }
    }
}
