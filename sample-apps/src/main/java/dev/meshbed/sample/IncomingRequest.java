package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A request whose head has arrived and whose body is still arriving. */
final class IncomingRequest {

    private final String method;
    private final String uri;
    private final HttpVersion protocolVersion;
    private final boolean keepAlive;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final BodyDigest body = new BodyDigest();

    IncomingRequest(HttpRequest head) {
        requireNonNull(head, "head");
        this.method = head.method().name();
        this.uri = head.uri();
        this.protocolVersion = head.protocolVersion();
        this.keepAlive = HttpUtil.isKeepAlive(head);
        head.headers().forEach(header -> headers.merge(
                header.getKey().toLowerCase(Locale.ROOT), header.getValue(), (first, next) -> first + ", " + next));
    }

    void append(ByteBuf chunk) {
        body.update(chunk);
    }

    ReceivedRequest finish() {
        return new ReceivedRequest(method, uri, protocolVersion, keepAlive, headers, body.bytes(), body.crc32());
    }
}
