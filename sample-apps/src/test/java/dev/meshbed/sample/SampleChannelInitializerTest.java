package dev.meshbed.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The whole pipeline, bytes in and bytes out, as a client sees it. */
class SampleChannelInitializerTest {

    private static final SampleConfig CONFIG = SampleConfig.local("v2").withInstance("pod-b");

    @Test
    void answersPipelinedRequestsInOrderOnOneConnection() {
        AtomicInteger accepted = new AtomicInteger();
        EmbeddedChannel channel = new EmbeddedChannel(
                new SampleChannelInitializer(CONFIG, () -> 0.5, accepted::incrementAndGet));

        channel.writeInbound(ascii("GET /status/201 HTTP/1.1\r\nhost: a\r\n\r\n"
                + "HEAD /healthz HTTP/1.1\r\nhost: a\r\n\r\n"
                + "POST /echo HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\nabc"));

        String output = readAll(channel);
        assertThat(output).startsWith("HTTP/1.1 201 Created\r\n");
        int head = output.indexOf("HTTP/1.1 200 OK\r\n");
        int post = output.indexOf("HTTP/1.1 200 OK\r\n", head + 1);
        assertThat(head).isPositive();
        assertThat(post).isGreaterThan(head);
        // HEAD: a length is announced but no "ok" follows before the next response.
        assertThat(output.substring(head, post)).contains("content-length: 2\r\n").endsWith("\r\n\r\n");
        assertThat(output.substring(post)).contains("x-version: v2\r\n")
                .contains("\"instance\":\"pod-b\"")
                .contains("\"bodyBytes\":3,\"bodyCrc32\":\"352441c2\"");
        assertThat(accepted).hasValue(1);
        assertThat(channel.isOpen()).isTrue();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void http10KeepsTheConnectionOnlyWhenAsked() {
        EmbeddedChannel kept = new EmbeddedChannel(new SampleChannelInitializer(CONFIG, () -> 0.5, () -> { }));
        kept.writeInbound(ascii("GET /a HTTP/1.0\r\nconnection: keep-alive\r\n\r\n"));
        assertThat(readAll(kept)).startsWith("HTTP/1.0 200 OK\r\n").contains("connection: keep-alive\r\n");
        assertThat(kept.isOpen()).isTrue();
        assertThat(kept.finishAndReleaseAll()).isFalse();

        EmbeddedChannel closed = new EmbeddedChannel(new SampleChannelInitializer(CONFIG, () -> 0.5, () -> { }));
        closed.writeInbound(ascii("GET /a HTTP/1.0\r\n\r\n"));
        assertThat(readAll(closed)).startsWith("HTTP/1.0 200 OK\r\n").doesNotContain("keep-alive");
        assertThat(closed.isOpen()).isFalse();
        assertThat(closed.finishAndReleaseAll()).isFalse();
    }

    @Test
    void bytesThatAreNotHttpGet400AndAClosedConnection() {
        EmbeddedChannel channel = new EmbeddedChannel(new SampleChannelInitializer(CONFIG, () -> 0.5, () -> { }));

        channel.writeInbound(ascii("GET /a HTTP/1.1\r\nhost: a\r\nbad header\r\n\r\n"));

        String output = readAll(channel);
        assertThat(output).startsWith("HTTP/1.1 400 Bad Request\r\n")
                .contains("x-version: v2\r\n")
                .contains("connection: close\r\n")
                .contains("\r\n\r\nbad request: ");
        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    private static String readAll(EmbeddedChannel channel) {
        StringBuilder output = new StringBuilder();
        for (ByteBuf chunk; (chunk = channel.readOutbound()) != null; ) {
            output.append(chunk.toString(StandardCharsets.UTF_8));
            chunk.release();
        }
        return output.toString();
    }
}
