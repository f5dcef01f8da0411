package dev.meshbed.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/** One response as the handler wrote it on an {@link EmbeddedChannel}, with every message read released. */
record OutboundResponse(HttpResponse head, byte[] body) {

    /** Reads the next response, or returns {@code null} if none has been written. */
    static OutboundResponse next(EmbeddedChannel channel) {
        Object first = channel.readOutbound();
        if (first == null) {
            return null;
        }
        assertThat(first).isInstanceOf(HttpResponse.class);
        HttpResponse head = (HttpResponse) first;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean last = first instanceof LastHttpContent;
        while (!last) {
            Object message = channel.readOutbound();
            assertThat(message).as("content of %s", head.status()).isInstanceOf(HttpContent.class);
            try {
                HttpContent content = (HttpContent) message;
                byte[] bytes = new byte[content.content().readableBytes()];
                content.content().getBytes(content.content().readerIndex(), bytes);
                body.writeBytes(bytes);
                last = message instanceof LastHttpContent;
            } finally {
                ReferenceCountUtil.release(message);
            }
        }
        return new OutboundResponse(head, body.toByteArray());
    }

    HttpResponseStatus status() {
        return head.status();
    }

    String header(CharSequence name) {
        return head.headers().get(name);
    }

    String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    long crc32() {
        CRC32 crc = new CRC32();
        crc.update(body);
        return crc.getValue();
    }
}
