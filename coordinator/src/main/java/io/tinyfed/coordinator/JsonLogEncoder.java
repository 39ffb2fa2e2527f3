package io.tinyfed.coordinator;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxy;
import ch.qos.logback.core.encoder.EncoderBase;
import io.tinyfed.protocol.cli.LogOptions;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** Logback events as TinyFed's JSON log lines ({@link LogOptions#line}), the same keys the agent writes. */
public final class JsonLogEncoder extends EncoderBase<ILoggingEvent> {
    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        Throwable error = event.getThrowableProxy() instanceof ThrowableProxy p ? p.getThrowable() : null;
        return LogOptions.line(LogOptions.Format.JSON, Instant.ofEpochMilli(event.getTimeStamp()),
                event.getLevel().toString(), event.getLoggerName(), event.getFormattedMessage(), error)
                .getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }
}
