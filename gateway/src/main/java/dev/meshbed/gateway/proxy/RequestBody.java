package dev.meshbed.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The request body between the client and the upstream attempts: chunks not yet written to the
 * current attempt, and, while the body fits in {@code limitBytes}, every chunk so far, so that a
 * retry can send the whole body again (Envoy's retry buffer, bounded by its per-request buffer
 * limit). Once the body outgrows the limit the chunks already sent are released and the body is
 * no longer {@linkplain #replayable() replayable}: that request is not retried.
 */
final class RequestBody {

    private final ArrayDeque<HttpContent> chunks = new ArrayDeque<>(4);
    private final long limitBytes;
    private long heldBytes;
    private boolean replayable;
    /** How many of {@link #chunks}, from the head, the current attempt has been given. */
    private int sent;

    /** @param limitBytes the most body bytes held for a retry; 0 holds none */
    RequestBody(long limitBytes) {
        if (limitBytes < 0) {
            throw new IllegalArgumentException("limitBytes: " + limitBytes + " (expected: >= 0)");
        }
        this.limitBytes = limitBytes;
        this.replayable = limitBytes > 0;
    }

    /** Takes ownership of a chunk from the client. */
    void add(HttpContent content) {
        int size = content.content().readableBytes();
        if (replayable && heldBytes + size > limitBytes) {
            replayable = false;
            for (; sent > 0; sent--) {
                chunks.poll().release(); // the current attempt has them; no later one will
            }
        }
        if (replayable) {
            heldBytes += size;
        }
        chunks.add(content);
    }

    /** True while every chunk received so far is still held: a new attempt can send the whole body. */
    boolean replayable() {
        return replayable;
    }

    /** The held body as one buffer of its own (a mirror's); the body must be {@linkplain #replayable() replayable}. */
    ByteBuf heldCopy() {
        if (!replayable) {
            throw new IllegalStateException("body no longer held (over " + limitBytes + " bytes)");
        }
        if (chunks.isEmpty()) {
            return Unpooled.EMPTY_BUFFER;
        }
        ByteBuf[] parts = new ByteBuf[chunks.size()];
        int i = 0;
        for (HttpContent c : chunks) {
            parts[i++] = c.content().retainedDuplicate();
        }
        return Unpooled.wrappedBuffer(parts);
    }

    /** The next attempt is given every held chunk again. */
    void rewind() {
        if (!replayable) {
            throw new IllegalStateException("body no longer held (over " + limitBytes + " bytes)");
        }
        sent = 0;
    }

    /** Gives {@code attempt} the chunks it has not had yet. */
    void writeTo(UpstreamRequest attempt) {
        if (replayable) {
            Iterator<HttpContent> it = chunks.iterator();
            for (int i = 0; it.hasNext(); i++) {
                HttpContent c = it.next();
                if (i >= sent) {
                    attempt.write(c.retainedDuplicate());
                }
            }
            sent = chunks.size();
        } else {
            HttpContent c;
            while ((c = chunks.poll()) != null) {
                attempt.write(c);
            }
        }
    }

    /**
     * The same body, held for retries up to {@code newLimitBytes}: chunks that arrived before
     * routing (during a fault delay) move over. Only before any attempt was given a chunk.
     */
    RequestBody withLimit(long newLimitBytes) {
        if (sent != 0) {
            throw new IllegalStateException("sent: " + sent + " (expected: 0, before the first attempt)");
        }
        RequestBody other = new RequestBody(newLimitBytes);
        HttpContent c;
        while ((c = chunks.poll()) != null) {
            other.add(c);
        }
        heldBytes = 0;
        return other;
    }

    void release() {
        chunks.forEach(ReferenceCountUtil::release);
        chunks.clear();
        sent = 0;
        heldBytes = 0;
        replayable = false;
    }
}
