package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpChunkedInput;
import java.nio.charset.StandardCharsets;

/** What a response carries after its head. */
sealed interface ResponseBody {

    String contentType();

    long length();

    /**
     * The body as the last thing to write for a response: a {@code LastHttpContent}, or a chunked
     * input that {@code ChunkedWriteHandler} streams. Made only when written, so a response that
     * waits for its latency holds no buffer.
     */
    Object newContent();

    static ResponseBody text(String text) {
        return new Bytes("text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    static ResponseBody json(byte[] json) {
        return new Bytes("application/json", json);
    }

    /** A body held as a few bytes. */
    record Bytes(String contentType, byte[] bytes) implements ResponseBody {

        public Bytes {
            requireNonNull(contentType, "contentType");
            requireNonNull(bytes, "bytes");
        }

        @Override
        public long length() {
            return bytes.length;
        }

        @Override
        public Object newContent() {
            return new DefaultLastHttpContent(Unpooled.wrappedBuffer(bytes));
        }
    }

    /** {@code length} bytes of {@link PatternBytesInput}'s pattern, generated as they are sent. */
    record Pattern(long length) implements ResponseBody {

        public Pattern {
            if (length < 0) {
                throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
            }
        }

        @Override
        public String contentType() {
            return "application/octet-stream";
        }

        @Override
        public Object newContent() {
            return new HttpChunkedInput(new PatternBytesInput(length));
        }
    }
}
