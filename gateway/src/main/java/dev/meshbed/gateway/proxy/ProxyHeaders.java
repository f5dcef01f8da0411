package dev.meshbed.gateway.proxy;

import dev.meshbed.gateway.routing.RequestView;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

/** What the gateway writes into messages of its own: forwarded requests and local answers. */
final class ProxyHeaders {

    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");

    private ProxyHeaders() {
    }

    /**
     * Turns a client's request into the one sent upstream, as an edge Envoy does: hop-by-hop
     * headers out, HTTP/1.1 (so the upstream connection stays reusable), origin-form target,
     * {@code x-forwarded-for} appended, {@code x-forwarded-proto} and {@code x-request-id} set.
     *
     * @return the request id: the client's, or a new one
     */
    static CharSequence prepareForUpstream(HttpRequest request, RequestView view, String remoteIp) {
        HttpHeaders h = request.headers();
        HopByHop.strip(h);
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (!request.uri().startsWith("/")) {
            // absolute-form target → origin-form; its authority is the Host (RFC 9112 3.2.2)
            request.setUri(view.pathAndQuery());
            h.set(HttpHeaderNames.HOST, view.authority());
        }
        String xff = h.get(X_FORWARDED_FOR);
        h.set(X_FORWARDED_FOR, xff == null ? remoteIp : xff + ", " + remoteIp);
        h.set(X_FORWARDED_PROTO, "http");
        CharSequence requestId = h.get(X_REQUEST_ID);
        if (requestId == null) {
            requestId = RequestIds.next();
            h.set(X_REQUEST_ID, requestId);
        }
        return requestId;
    }

    /** The Connection header a response to a client needs: close, or keep-alive for HTTP/1.0. */
    static void connection(HttpHeaders h, boolean keepAlive, HttpVersion clientVersion) {
        if (!keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (!clientVersion.equals(HttpVersion.HTTP_1_1)) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /** A complete local answer: text body (none for HEAD), its length, and a Location if given. */
    static FullHttpResponse localReply(ByteBufAllocator alloc, HttpResponseStatus status, String body,
            String location, boolean head) {
        ByteBuf content = body.isEmpty() || head ? alloc.buffer(0, 0) : ByteBufUtil.writeUtf8(alloc, body);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        HttpHeaders h = response.headers();
        if (!body.isEmpty()) {
            h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
        }
        h.setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        if (location != null) {
            h.set(HttpHeaderNames.LOCATION, location);
        }
        return response;
    }
}
