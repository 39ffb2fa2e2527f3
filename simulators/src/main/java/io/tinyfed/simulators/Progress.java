package io.tinyfed.simulators;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress of a long command, on standard error. On a terminal it is a progress bar (me.tongfei progressbar),
 * and whatever else writes to standard error while it runs (log lines, warnings) is printed above the bar, never
 * into it: the bar's line is cleared first and the bar drawn again below. Elsewhere (a file, a CI log) there is
 * no bar: one plain line at every tenth of the work, so a log stays readable.
 */
public final class Progress implements AutoCloseable {
    private final String task;
    private final long total;
    private final ProgressBar bar;
    /** {@code System.err} before the bar replaced it; restored at close. */
    private final PrintStream previousErr;
    private final PrintStream lines;
    private long done;
    private long lastTenth;

    private Progress(String task, long total, boolean terminal, PrintStream err) {
        this.task = task;
        this.total = Math.max(1, total);
        this.previousErr = System.err;
        if (terminal) {
            this.bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(this.total).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new ConsoleProgressBarConsumer(err)).build();
            this.lines = null;
            System.setErr(new PrintStream(new AboveTheBar(err, bar), true, StandardCharsets.UTF_8));
        } else {
            this.bar = null;
            this.lines = err;
        }
    }

    /** Progress of {@code task} over {@code total} steps: a bar when standard error is a terminal. */
    public static Progress start(String task, long total) {
        return new Progress(task, total, System.console() != null, System.err);
    }

    /** As {@link #start}, with the terminal decision made and the stream given (for tests). */
    static Progress start(String task, long total, boolean terminal, PrintStream err) {
        return new Progress(task, total, terminal, err);
    }

    public synchronized void stepTo(long n) {
        done = Math.min(total, Math.max(done, n));
        if (bar != null) {
            bar.stepTo(done);
            return;
        }
        long tenth = done * 10 / total;
        if (tenth > lastTenth) {
            lastTenth = tenth;
            lines.printf("%s: %d/%d (%d%%)%n", task, done, total, done * 100 / total);
        }
    }

    public synchronized void step() {
        stepTo(done + 1);
    }

    @Override
    public synchronized void close() {
        if (bar != null) {
            System.setErr(previousErr);
            bar.close();
        }
    }

    /**
     * Standard error while a bar is drawn: each line of other output first clears the bar's line, and the bar is
     * drawn again once the line is complete.
     */
    private static final class AboveTheBar extends OutputStream {
        private static final byte[] CLEAR_LINE = "\r\033[2K".getBytes(StandardCharsets.US_ASCII);
        private final PrintStream out;
        private final ProgressBar bar;
        private boolean atLineStart = true;

        AboveTheBar(PrintStream out, ProgressBar bar) {
            this.out = out;
            this.bar = bar;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            boolean redraw = false;
            synchronized (out) {
                for (int i = off; i < off + len; i++) {
                    if (atLineStart) {
                        out.write(CLEAR_LINE, 0, CLEAR_LINE.length);
                        atLineStart = false;
                    }
                    out.write(b[i]);
                    if (b[i] == '\n') {
                        atLineStart = true;
                        redraw = true;
                    }
                }
                out.flush();
            }
            if (redraw) {
                bar.refresh();
            }
        }

        @Override
        public void flush() {
            out.flush();
        }
    }
}
