package io.tinyfed.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The logs of the processes a test starts, printed to the test's output when the test fails, while
 * the files still exist (before {@code @TempDir} is cleaned up): a failing process test shows why
 * its process did what it did. Register with {@code @RegisterExtension} and send each process's
 * output to {@link #add}.
 */
final class ProcessLogs implements TestExecutionExceptionHandler {
    /** The last part of a log worth reading; earlier lines are usually start-up. */
    private static final int TAIL_CHARS = 64 * 1024;
    private final List<Path> logs = new ArrayList<>();

    /** Remembers {@code log} for printing on failure and returns it. */
    Path add(Path log) {
        logs.add(log);
        return log;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        for (Path log : logs) {
            System.err.printf("%n----- %s (test %s failed) -----%n%s%n----- end of %s -----%n", log,
                    context.getDisplayName(), tail(log), log.getFileName());
        }
        throw failure;
    }

    private static String tail(Path log) {
        try {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            return text.length() <= TAIL_CHARS ? text : "[... " + (text.length() - TAIL_CHARS) + " chars before]\n"
                    + text.substring(text.length() - TAIL_CHARS);
        } catch (IOException e) {
            return "(log not readable: " + e.getMessage() + ")";
        }
    }
}
