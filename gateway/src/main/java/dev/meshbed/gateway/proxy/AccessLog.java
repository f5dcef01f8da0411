package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One line per request, in Istio's default access log order:
 *
 * <pre>
 * [START_TIME] "METHOD PATH PROTOCOL" CODE FLAGS BYTES_RECEIVED BYTES_SENT DURATION_MS "USER_AGENT"
 *   "X_REQUEST_ID" "AUTHORITY" "UPSTREAM_HOST" UPSTREAM_CLUSTER ROUTE DOWNSTREAM_REMOTE
 * </pre>
 *
 * <p>Event loops only format into a buffer of their own; full buffers (and, every 100 ms, partial
 * ones) go to a writer thread through a bounded queue. A slow stdout therefore never stalls
 * traffic: when the queue is full, lines are dropped and counted, as Envoy's file sink does.
 */
public final class AccessLog implements AutoCloseable {

    private static final int BUFFER_BYTES = 16 * 1024;

    private final OutputStream out;
    private final BlockingQueue<byte[]> queue;
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private final FastThreadLocal<Buffer> buffers = new FastThreadLocal<>() {
        @Override
        protected Buffer initialValue() {
            return new Buffer();
        }
    };
    private volatile boolean closed;

    private AccessLog(OutputStream out) {
        this.out = out;
        this.queue = out == null ? null : new ArrayBlockingQueue<>(1024);
        if (out != null) {
            writer = new Thread(this::drain, "meshbed-access-log");
            writer.setDaemon(true);
            writer.start();
        } else {
            writer = null;
        }
    }

    /** An access log that writes nothing. */
    public static AccessLog off() {
        return new AccessLog(null);
    }

    /** An access log written to {@code out} (stdout or a file). */
    public static AccessLog to(OutputStream out) {
        return new AccessLog(requireNonNull(out, "out"));
    }

    public boolean enabled() {
        return out != null;
    }

    /** Lines dropped because the writer could not keep up. */
    public long dropped() {
        return dropped.get();
    }

    /** Logs a finished exchange; called on its event loop. */
    void log(ProxyExchange exchange, EventExecutor loop) {
        if (out == null || closed) {
            return;
        }
        Buffer b = buffers.get();
        b.ensureFlushTask(loop);
        format(b.line, exchange);
        if (b.line.length() >= BUFFER_BYTES) {
            b.handOff();
        }
    }

    /** Hands this thread's buffered lines to the writer; run on each event loop before shutdown. */
    void flushCurrentThread() {
        if (out != null && buffers.isSet()) {
            buffers.get().handOff();
        }
    }

    static void format(LogLine l, ProxyExchange e) {
        l.ch('[').timestamp(e.startEpochMillis()).ch(']').ch(' ').ch('"')
                .text(e.method()).ch(' ').text(e.uri()).ch(' ').text(e.protocol()).ch('"').ch(' ')
                .number(e.status()).ch(' ').text(e.flags()).ch(' ')
                .number(e.requestBytes()).ch(' ').number(e.responseBytes()).ch(' ')
                .number(e.durationMillis()).ch(' ')
                .ch('"').text(e.userAgent()).ch('"').ch(' ')
                .ch('"').text(e.requestId()).ch('"').ch(' ')
                .ch('"').text(e.authority()).ch('"').ch(' ')
                .ch('"').text(e.upstreamAddress()).ch('"').ch(' ')
                .text(e.clusterName()).ch(' ')
                .text(e.routeName()).ch(' ')
                .text(e.remoteAddress()).ch('\n');
    }

    /** One event loop's pending lines. Only that loop touches it. */
    private final class Buffer {
        final LogLine line = new LogLine(BUFFER_BYTES + 1024);
        boolean flushTask;

        void ensureFlushTask(EventExecutor loop) {
            if (!flushTask) {
                flushTask = true;
                loop.scheduleAtFixedRate(this::handOff, 100, 100, TimeUnit.MILLISECONDS);
            }
        }

        void handOff() {
            if (line.length() == 0) {
                return;
            }
            if (!queue.offer(line.take())) {
                dropped.incrementAndGet();
            }
        }
    }

    private void drain() {
        try {
            while (!closed || !queue.isEmpty()) {
                byte[] chunk = queue.poll(200, TimeUnit.MILLISECONDS);
                if (chunk == null) {
                    continue;
                }
                out.write(chunk);
                byte[] more;
                while ((more = queue.poll()) != null) {
                    out.write(more);
                }
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            closed = true;
            System.err.println("meshbed: access log stopped: " + e);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (writer != null) {
            try {
                writer.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
