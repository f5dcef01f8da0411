package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
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

    private static final int BUFFER_CHARS = 16 * 1024;
    private static final DateTimeFormatter SECOND =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

    private final OutputStream out;
    private final BlockingQueue<String> queue;
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
        format(b.text, b, exchange);
        if (b.text.length() >= BUFFER_CHARS) {
            b.handOff();
        }
    }

    /** Hands this thread's buffered lines to the writer; run on each event loop before shutdown. */
    void flushCurrentThread() {
        if (out != null && buffers.isSet()) {
            buffers.get().handOff();
        }
    }

    static void format(StringBuilder sb, Clock clock, ProxyExchange e) {
        sb.append('[');
        clock.appendTimestamp(sb, e.startEpochMillis());
        sb.append("] \"").append(e.method()).append(' ').append(e.uri()).append(' ').append(e.protocol()).append("\" ")
                .append(e.status()).append(' ').append(e.flag().code()).append(' ')
                .append(e.requestBytes()).append(' ').append(e.responseBytes()).append(' ')
                .append(e.durationMillis()).append(" \"");
        orDash(sb, e.userAgent()).append("\" \"");
        orDash(sb, e.requestId()).append("\" \"");
        orDash(sb, e.authority()).append("\" \"");
        orDash(sb, e.upstreamAddress()).append("\" ");
        orDash(sb, e.clusterName()).append(' ');
        orDash(sb, e.routeName()).append(' ');
        orDash(sb, e.remoteAddress()).append('\n');
    }

    private static StringBuilder orDash(StringBuilder sb, String s) {
        return sb.append(s == null || s.isEmpty() ? "-" : s);
    }

    /** Formats timestamps with the seconds part cached: one DateTimeFormatter call per second. */
    static class Clock {
        private long second = Long.MIN_VALUE;
        private String secondText = "";

        void appendTimestamp(StringBuilder sb, long epochMillis) {
            long s = Math.floorDiv(epochMillis, 1000);
            if (s != second) {
                second = s;
                secondText = SECOND.format(Instant.ofEpochSecond(s));
            }
            int ms = (int) Math.floorMod(epochMillis, 1000);
            sb.append(secondText).append('.').append((char) ('0' + ms / 100)).append((char) ('0' + ms / 10 % 10))
                    .append((char) ('0' + ms % 10)).append('Z');
        }
    }

    /** One event loop's pending lines. Only that loop touches it. */
    private final class Buffer extends Clock {
        final StringBuilder text = new StringBuilder(BUFFER_CHARS + 1024);
        boolean flushTask;

        void ensureFlushTask(EventExecutor loop) {
            if (!flushTask) {
                flushTask = true;
                loop.scheduleAtFixedRate(this::handOff, 100, 100, TimeUnit.MILLISECONDS);
            }
        }

        void handOff() {
            if (text.length() == 0) {
                return;
            }
            if (!queue.offer(text.toString())) {
                dropped.incrementAndGet();
            }
            text.setLength(0);
        }
    }

    private void drain() {
        try {
            while (!closed || !queue.isEmpty()) {
                String chunk = queue.poll(200, TimeUnit.MILLISECONDS);
                if (chunk == null) {
                    continue;
                }
                out.write(chunk.getBytes(StandardCharsets.UTF_8));
                String more;
                while ((more = queue.poll()) != null) {
                    out.write(more.getBytes(StandardCharsets.UTF_8));
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
