package dev.meshbed.gateway.admin;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Function;

/**
 * Answers a status or admin listener's requests: GET (and HEAD, without the body) on one of its
 * paths; any other method gets 405 with {@code Allow: GET, HEAD}, whatever the path; an unknown
 * path gets the listener's own 404, which says no more than the listener wants to say.
 */
final class UrlDispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {

    static final String ALLOW = "GET, HEAD";

    private final Map<String, UrlHandler> handlers;
    private final Function<String, String> notFound;

    /**
     * @param handlers path (without the query) to its handler
     * @param notFound the body of a 404, given the path asked for
     */
    UrlDispatcher(Map<String, UrlHandler> handlers, Function<String, String> notFound) {
        this.handlers = Map.copyOf(requireNonNull(handlers, "handlers"));
        this.notFound = requireNonNull(notFound, "notFound");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws IOException {
        HttpMethod method = req.method();
        boolean head = HttpMethod.HEAD.equals(method);
        FullHttpResponse res;
        if (!head && !HttpMethod.GET.equals(method)) {
            res = text(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "method not allowed: " + method + " (expected: GET or HEAD)\n");
            res.headers().set(HttpHeaderNames.ALLOW, ALLOW);
        } else {
            String path = new QueryStringDecoder(req.uri()).path();
            UrlHandler handler = handlers.get(path);
            res = handler != null ? handler.handle(ctx.alloc())
                    : text(HttpResponseStatus.NOT_FOUND, notFound.apply(path));
        }
        HttpUtil.setContentLength(res, res.content().readableBytes());
        if (head) {
            // the length a GET would have had, no body
            FullHttpResponse headers = res.replace(Unpooled.EMPTY_BUFFER);
            res.release();
            res = headers;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(res, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(res);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        return res;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
