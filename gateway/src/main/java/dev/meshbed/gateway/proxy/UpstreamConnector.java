package dev.meshbed.gateway.proxy;

import dev.meshbed.gateway.routing.Cluster;
import dev.meshbed.gateway.routing.Endpoint;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;

/**
 * Hands out upstream HTTP/1.1 connections on the caller's event loop and takes them back for
 * reuse. The production implementation is {@link UpstreamPools}; handler tests plug in channels
 * of their own.
 */
interface UpstreamConnector {

    /** Told when an acquired connection is ready or could not be made. Called on the event loop. */
    interface Callback {
        /**
         * @param channel an active channel whose pipeline ends with an {@link UpstreamHandler}
         * @param reused true when it served a request before (it may have been closed by the peer meanwhile)
         */
        void upstreamReady(Channel channel, boolean reused);

        void upstreamFailed(Throwable cause);

        /**
         * True once the request no longer wants a connection (answered meanwhile: timeout, client
         * gone). A pool drops such a waiter instead of counting it as a pending request.
         */
        default boolean abandoned() {
            return false;
        }
    }

    /**
     * Acquires a connection to {@code address} on {@code loop}; {@code fresh} skips idle ones.
     * Calls back synchronously when an idle connection is available.
     */
    void acquire(EventLoop loop, InetSocketAddress address, long connectTimeoutMillis, boolean fresh, Callback callback);

    /**
     * Acquires a connection to {@code endpoint} of {@code cluster} under the cluster's connection
     * pool limits and TLS settings. A refusal ({@link UpstreamRefusal}: circuit breaker open, TLS
     * handshake failed) comes through {@link Callback#upstreamFailed}. Implementations that ignore
     * policy (handler tests) need not override it.
     */
    default void acquire(EventLoop loop, Cluster cluster, Endpoint endpoint, boolean fresh, Callback callback) {
        acquire(loop, endpoint.address(), cluster.connectTimeoutMillis(), fresh, callback);
    }

    /** Gives back a connection whose last exchange completed cleanly. */
    void release(Channel channel);
}
