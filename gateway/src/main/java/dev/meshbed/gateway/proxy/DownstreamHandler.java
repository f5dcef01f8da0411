package dev.meshbed.gateway.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: runs its requests one at a time, in order. Requests that a client
 * pipelines behind the current one wait here, already decoded, until it is answered (HTTP/1.1
 * answers must keep the order of the requests). The connection reads with AUTO_READ off: only
 * when idle, or when the current request's body may flow on.
 */
final class DownstreamHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(DownstreamHandler.class);

    private final ProxyContext proxy;
    private final int listenerIndex;
    private ChannelHandlerContext ctx;
    private String remoteIp = "";
    private ProxyExchange current;
    private ArrayDeque<Object> pipelined;
    private boolean reading;
    private boolean closing;

    DownstreamHandler(ProxyContext proxy, int listenerIndex) {
        this.proxy = proxy;
        this.listenerIndex = listenerIndex;
    }

    int listenerIndex() {
        return listenerIndex;
    }

    /** True while the channel delivers a read batch (its channelReadComplete will follow). */
    boolean reading() {
        return reading;
    }

    void readMore() {
        ctx.read();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        SocketAddress remote = ctx.channel().remoteAddress();
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            remoteIp = inet.getAddress().getHostAddress();
        }
        proxy.metrics().downstreamConnectionOpened();
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        if (closing) {
            ReferenceCountUtil.release(msg);
        } else if (current != null && (current.requestComplete() || !(msg instanceof HttpContent))) {
            if (pipelined == null) {
                pipelined = new ArrayDeque<>(4);
            }
            pipelined.add(msg);
        } else {
            dispatch(msg);
        }
    }

    private void dispatch(Object msg) {
        if (msg instanceof HttpRequest request) {
            current = new ProxyExchange(this, ctx, proxy, request, remoteIp);
            if (request.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                if (request.decoderResult().cause() instanceof RequestRejection rejection) {
                    current.reject(rejection);
                } else {
                    badRequest(current, request.decoderResult().cause());
                }
                return;
            }
            current.start();
        } else if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                content.release();
                if (current != null) {
                    current.onDownstreamProtocolError(content.decoderResult().cause());
                } else {
                    ctx.close();
                }
            } else if (current != null) {
                current.onRequestContent(content);
            } else {
                content.release();
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void badRequest(ProxyExchange exchange, Throwable cause) {
        HttpResponseStatus status = cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : HttpResponseStatus.BAD_REQUEST;
        String reason = cause == null || cause.getMessage() == null ? "malformed request" : cause.getMessage();
        if (cause instanceof TooLongFrameException) {
            reason = reason.split("\\.")[0];
        }
        exchange.rejectMalformed(status, "bad request: " + reason + "\n");
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        if (current != null) {
            current.onDownstreamReadComplete();
        } else if (!closing && (pipelined == null || pipelined.isEmpty())) {
            ctx.read();
        }
    }

    /** The current exchange is over; the next one may start. */
    void exchangeFinished(ProxyExchange exchange, boolean keepAlive) {
        if (exchange != current) {
            return;
        }
        current = null;
        if (!keepAlive) {
            closing = true;
            releasePipelined();
            return;
        }
        if (pipelined != null && !pipelined.isEmpty()) {
            // Not from inside the upstream's read: the next request may borrow that very connection.
            ctx.executor().execute(this::runPipelined);
        } else if (!reading) {
            ctx.read();
        }
    }

    private void runPipelined() {
        while (!closing && pipelined != null && !pipelined.isEmpty()
                && (current == null || !current.requestComplete())) {
            Object msg = pipelined.poll();
            if (current != null && !(msg instanceof HttpContent)) {
                pipelined.addFirst(msg);
                break;
            }
            dispatch(msg);
        }
        if (closing) {
            return;
        }
        if (current == null) {
            ctx.read();
        } else {
            current.onDownstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current != null) {
            current.onDownstreamWritabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        releasePipelined();
        ProxyExchange e = current;
        current = null;
        if (e != null) {
            e.onDownstreamClosed();
        }
        proxy.metrics().downstreamConnectionClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("downstream connection {} failed: {}", ctx.channel(), cause.toString());
        ctx.close();
    }

    private void releasePipelined() {
        if (pipelined != null) {
            pipelined.forEach(ReferenceCountUtil::release);
            pipelined.clear();
        }
    }
}
