package io.tinyfed.firmware.serial;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One end of the serial protocol over any byte stream (a serial port, a pseudo-terminal, a TCP socket,
 * a child process's stdio): frames from {@link Frames}, stop-and-wait acknowledgements with a
 * sequence number per frame, retransmission after a timeout, duplicates re-acknowledged and dropped.
 * Received data frames reach the handler on one handler thread, in order; {@link #send} may be called
 * from any thread (sends are serialised) and returns once the peer acknowledged, or false after the
 * last retry.
 */
public final class SerialLink implements AutoCloseable {
    private final InputStream in;
    private final OutputStream out;
    private final Consumer<Frames.Frame> handler;
    private final Duration retransmitAfter;
    private final int retries;
    private final FrameDecoder decoder = new FrameDecoder(this::onFrame);
    private final ExecutorService handlerThread = Executors.newSingleThreadExecutor(r -> daemon(r, "tinyfed-serial-handler"));
    private final Thread reader = new Thread(this::read, "tinyfed-serial-reader");
    private final Object ackLock = new Object();
    private final Object sendLock = new Object();
    private int nextSeq;
    private int awaitedSeq = -1;
    private boolean acked;
    private int lastAcceptedSeq = -1;
    private volatile boolean closed;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong retransmissions = new AtomicLong();
    private final AtomicLong failedSends = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private volatile Runnable onClosed = () -> { };

    public SerialLink(InputStream in, OutputStream out, Consumer<Frames.Frame> handler, Duration retransmitAfter, int retries) {
        this.in = in;
        this.out = out;
        this.handler = handler;
        this.retransmitAfter = retransmitAfter;
        this.retries = retries;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public SerialLink start() {
        reader.setDaemon(true);
        reader.start();
        return this;
    }

    private void read() {
        byte[] buf = new byte[256];
        try {
            int n;
            while (!closed && (n = in.read(buf)) >= 0) {
                decoder.feed(buf, 0, n);
            }
        } catch (IOException e) {
            // the stream closed; close() or the peer ended it
        }
        synchronized (ackLock) {
            ackLock.notifyAll(); // a send waiting for an ack gives up at once
        }
        if (!closed) {
            onHandlerThread(onClosed);
        }
    }

    private void onHandlerThread(Runnable r) {
        try {
            handlerThread.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // close() ran meanwhile: the owner ended the line itself, nothing more is handled
        }
    }

    /** Called once (on the handler thread) when the peer ends the byte stream. */
    public SerialLink onClosed(Runnable r) {
        onClosed = r;
        return this;
    }

    private void onFrame(Frames.Frame f) {
        if (f.type() == Frames.ACK) {
            if (f.payload().length == 1) {
                synchronized (ackLock) {
                    if ((f.payload()[0] & 0xFF) == awaitedSeq) {
                        acked = true;
                        ackLock.notifyAll();
                    }
                }
            }
            return;
        }
        try {
            write(Frames.encode(Frames.ACK, 0, new byte[] {(byte) f.seq()}));
        } catch (IOException e) {
            return;
        }
        if (f.seq() == lastAcceptedSeq) {
            duplicates.incrementAndGet(); // our ack was lost and the peer sent it again
            return;
        }
        lastAcceptedSeq = f.seq();
        onHandlerThread(() -> handler.accept(f));
    }

    /** Sends one data frame and waits for its acknowledgement; false after {@code retries} retransmissions. */
    public boolean send(int type, byte[] payload) throws IOException, InterruptedException {
        synchronized (sendLock) {
            int seq = nextSeq;
            nextSeq = (nextSeq + 1) & 0xFF;
            byte[] frame = Frames.encode(type, seq, payload);
            synchronized (ackLock) {
                awaitedSeq = seq;
                acked = false;
            }
            for (int attempt = 0; attempt <= retries && !closed && reader.isAlive(); attempt++) {
                if (attempt > 0) {
                    retransmissions.incrementAndGet();
                }
                write(frame);
                synchronized (ackLock) {
                    long end = System.nanoTime() + retransmitAfter.toNanos();
                    while (!acked && System.nanoTime() < end) {
                        TimeUnit.NANOSECONDS.timedWait(ackLock, Math.max(1, end - System.nanoTime()));
                    }
                    if (acked) {
                        sent.incrementAndGet();
                        return true;
                    }
                }
            }
            failedSends.incrementAndGet();
            return false;
        }
    }

    private void write(byte[] bytes) throws IOException {
        synchronized (out) {
            out.write(bytes);
            out.flush();
        }
    }

    /** False once the byte stream ended or the link was closed. */
    public boolean isOpen() {
        return !closed && reader.isAlive();
    }

    public FrameDecoder decoder() {
        return decoder;
    }

    public long retransmissions() {
        return retransmissions.get();
    }

    public long failedSends() {
        return failedSends.get();
    }

    public long duplicates() {
        return duplicates.get();
    }

    @Override
    public void close() {
        closed = true;
        handlerThread.shutdownNow();
        try {
            in.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            out.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
