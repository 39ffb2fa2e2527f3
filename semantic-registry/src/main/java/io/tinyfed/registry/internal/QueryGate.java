package io.tinyfed.registry.internal;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the open query endpoints of the served registry: at most {@code maxConcurrent} queries run at once (a
 * request that cannot start within a second gets 503 with Retry-After, and is counted), and a response stops after
 * {@code maxResultBytes} (the connection is cut and the refusal counted), so abusive queries cannot take every
 * worker thread or the server's memory and bandwidth. Ping and the update endpoint are not gated.
 */
public final class QueryGate implements Filter {
    private final Semaphore slots;
    private final int maxConcurrent;
    private final long maxResultBytes;
    private final AtomicLong busyRefusals = new AtomicLong();
    private final AtomicLong truncated = new AtomicLong();

    public QueryGate(int maxConcurrent, long maxResultBytes) {
        if (maxConcurrent < 1 || maxResultBytes < 1) {
            throw new IllegalArgumentException("concurrent queries and result bytes must be positive");
        }
        this.slots = new Semaphore(maxConcurrent, true);
        this.maxConcurrent = maxConcurrent;
        this.maxResultBytes = maxResultBytes;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        boolean acquired;
        try {
            acquired = slots.tryAcquire(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            acquired = false;
        }
        if (!acquired) {
            busyRefusals.incrementAndGet();
            HttpServletResponse http = (HttpServletResponse) response;
            http.setStatus(503);
            http.setHeader("Retry-After", "1");
            http.setContentType("text/plain; charset=utf-8");
            http.getOutputStream().write(("the registry runs " + maxConcurrent + " queries at once; try again\n")
                    .getBytes(StandardCharsets.UTF_8));
            return;
        }
        try {
            chain.doFilter(request, new Capped((HttpServletResponse) response));
        } finally {
            slots.release();
        }
    }

    /** Requests refused because every query slot was taken. */
    public long busyRefusals() {
        return busyRefusals.get();
    }

    /** Responses cut at the result-size cap. */
    public long truncated() {
        return truncated.get();
    }

    /** A response whose body may not exceed the cap. */
    private final class Capped extends HttpServletResponseWrapper {
        private ServletOutputStream stream;
        private PrintWriter writer;

        Capped(HttpServletResponse response) {
            super(response);
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            if (stream == null) {
                ServletOutputStream inner = super.getOutputStream();
                stream = new ServletOutputStream() {
                    private long written;

                    private void count(long n) throws IOException {
                        written += n;
                        if (written > maxResultBytes) {
                            truncated.incrementAndGet();
                            throw new IOException("result larger than " + maxResultBytes + " bytes: cut off");
                        }
                    }

                    @Override
                    public void write(int b) throws IOException {
                        count(1);
                        inner.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        count(len);
                        inner.write(b, off, len);
                    }

                    @Override
                    public void flush() throws IOException {
                        inner.flush();
                    }

                    @Override
                    public boolean isReady() {
                        return inner.isReady();
                    }

                    @Override
                    public void setWriteListener(WriteListener l) {
                        inner.setWriteListener(l);
                    }
                };
            }
            return stream;
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            if (writer == null) {
                writer = new PrintWriter(new java.io.OutputStreamWriter(getOutputStream(), StandardCharsets.UTF_8));
            }
            return writer;
        }
    }
}
