package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;

/**
 * Answers the requests of one connection. Bodies are digested as they arrive and the answer goes
 * out after the last chunk; injected latency waits on the event loop's timer, never on a thread.
 */
final class SampleHandler extends SimpleChannelInboundHandler<HttpObject> {

    private final Routes routes;
    private final ResponseWriter writer;
    private final Duration latency;
    private final double errorRate;
    private final DoubleSupplier random;
    private final BooleanSupplier drainingServer;
    private final InOrderQueue<PendingResponse> responses = new InOrderQueue<>();

    private IncomingRequest current;
    // Set once a request ends the connection (Connection: close, HTTP/1.0, or unreadable):
    // whatever was pipelined after it is not answered.
    private boolean lastRequestRead;
    // A write or flush can run other tasks of this channel before it returns (EmbeddedChannel
    // does), and one of them can be another response's timer: it must not write in between.
    private boolean draining;

    /** @param random draws in [0, 1) deciding the injected failures; injected so tests can fix them */
    SampleHandler(AppIdentity identity, Duration latency, double errorRate, DoubleSupplier random) {
        this(identity, latency, errorRate, random, () -> false);
    }

    /** @param draining true while the server drains: each response then says {@code connection: close} */
    SampleHandler(AppIdentity identity, Duration latency, double errorRate, DoubleSupplier random,
            BooleanSupplier draining) {
        this.drainingServer = requireNonNull(draining, "draining");
        requireNonNull(identity, "identity");
        this.routes = new Routes(identity);
        this.writer = new ResponseWriter(identity.version());
        this.latency = requireNonNull(latency, "latency");
        this.errorRate = errorRate;
        this.random = requireNonNull(random, "random");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
        if (lastRequestRead) {
            return;
        }
        if (message.decoderResult().isFailure()) {
            refuse(ctx, message.decoderResult().cause());
            return;
        }
        if (message instanceof HttpRequest head) {
            current = new IncomingRequest(head);
        }
        if (current == null) {
            return; // content without a head: HttpServerCodec never sends that
        }
        if (message instanceof HttpContent chunk) {
            current.append(chunk.content());
        }
        if (message instanceof LastHttpContent) {
            ReceivedRequest request = current.finish();
            current = null;
            answer(ctx, request);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A client going away mid-response is routine; anything else is a bug worth seeing.
        if (!(cause instanceof IOException)) {
            System.err.println("sample-app: closing " + ctx.channel() + " after " + cause);
        }
        ctx.close();
    }

    private void answer(ChannelHandlerContext ctx, ReceivedRequest request) {
        boolean keepAlive = request.keepAlive() && !drainingServer.getAsBoolean();
        lastRequestRead = !keepAlive;
        InOrderQueue.Slot<PendingResponse> slot = responses.reserve();
        ResponsePlan plan = routes.plan(request);
        if (!plan.faultable()) {
            deliver(ctx, slot, PendingResponse.answering(request, plan, keepAlive));
            return;
        }
        if (errorRate > 0 && random.getAsDouble() < errorRate) {
            plan = routes.injectedFailure(errorRate);
        }
        PendingResponse response = PendingResponse.answering(request, plan, keepAlive);
        if (latency.isZero()) {
            deliver(ctx, slot, response);
        } else {
            ctx.executor().schedule(() -> deliver(ctx, slot, response), latency.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void refuse(ChannelHandlerContext ctx, Throwable cause) {
        lastRequestRead = true;
        current = null;
        String problem = String.valueOf(cause.getMessage()).replaceAll("[\\r\\n]+", " ");
        deliver(ctx, responses.reserve(), PendingResponse.closing(routes.badRequest(problem)));
    }

    private void deliver(ChannelHandlerContext ctx, InOrderQueue.Slot<PendingResponse> slot, PendingResponse response) {
        if (response.keepAlive() && drainingServer.getAsBoolean()) {
            // the drain began while this one was delayed: it ends its connection too (the gateway
            // sends one request at a time on a connection, so nothing waits behind it)
            response = new PendingResponse(response.plan(), response.protocolVersion(), response.headRequest(), false);
            lastRequestRead = true;
        }
        responses.fill(slot, response);
        if (draining) {
            return; // the drain further up the stack picks it up, in its turn
        }
        draining = true;
        try {
            boolean wrote = true;
            while (wrote) {
                wrote = false;
                for (PendingResponse next; (next = responses.pollReady()) != null; ) {
                    writer.write(ctx, next);
                    wrote = true;
                }
                if (wrote) {
                    ctx.flush();
                }
            }
        } finally {
            draining = false;
        }
    }
}
