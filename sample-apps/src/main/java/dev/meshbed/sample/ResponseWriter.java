package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;

/** Frames a response for its connection (length, keep-alive, HEAD) and writes it, unflushed. */
final class ResponseWriter {

    static final AsciiString X_VERSION = AsciiString.cached("x-version");

    private final String version;

    ResponseWriter(String version) {
        this.version = requireNonNull(version, "version");
    }

    /** Writes {@code response} and closes the connection after it if it is the last one. */
    ChannelFuture write(ChannelHandlerContext ctx, PendingResponse response) {
        ResponsePlan plan = response.plan();
        HttpResponseStatus status = plan.status();
        ResponseBody body = plan.body();
        HttpResponse head = new DefaultHttpResponse(response.protocolVersion(), status);
        HttpHeaders headers = head.headers();
        headers.set(X_VERSION, version);
        plan.headers().forEach(headers::set);
        // 204 has neither body nor length (RFC 9110, 8.6); 304 and HEAD announce the length they leave out.
        boolean noContent = status.equals(HttpResponseStatus.NO_CONTENT);
        boolean bodiless = noContent || response.headRequest() || status.equals(HttpResponseStatus.NOT_MODIFIED);
        if (!noContent) {
            headers.set(HttpHeaderNames.CONTENT_TYPE, body.contentType());
            HttpUtil.setContentLength(head, body.length());
        }
        // Also answers an HTTP/1.0 keep-alive request with the "connection: keep-alive" it needs.
        HttpUtil.setKeepAlive(head, response.keepAlive());

        ctx.write(head);
        ChannelFuture done = ctx.write(bodiless ? LastHttpContent.EMPTY_LAST_CONTENT : body.newContent());
        done.addListener(response.keepAlive() ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
        return done;
    }
}
