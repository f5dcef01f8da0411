package dev.meshbed.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.gateway.routing.Cluster;
import dev.meshbed.gateway.routing.ClusterStats;
import dev.meshbed.gateway.routing.ConnectionLimits;
import dev.meshbed.gateway.routing.Endpoint;
import dev.meshbed.gateway.routing.LoadBalancer;
import dev.meshbed.gateway.routing.RequestView;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pools' circuit breakers on one real event loop against a loopback listener that accepts
 * and holds connections: a request beyond maxConnections waits (upstream_cx_overflow), one
 * beyond http1MaxPendingRequests is refused at once (503 UO), a released connection goes to the
 * first waiter, and maxRequestsPerConnection closes a connection instead of reusing it.
 */
class UpstreamPoolsTest {

    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            Transport.NIO.ioHandlerFactory());
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private ServerSocket server;
    private UpstreamPools pools;
    private EventLoop loop;
    private final CountingStats stats = new CountingStats();

    @BeforeEach
    void start() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    accepted.add(server.accept());
                } catch (IOException e) {
                    return;
                }
            }
        }, "pools-test-accept");
        t.setDaemon(true);
        t.start();
        pools = new UpstreamPools(Transport.NIO, ProxyMetrics.NOOP, 60_000);
        loop = group.next();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        for (Socket s : accepted) {
            s.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private Cluster cluster(ConnectionLimits limits) {
        Endpoint e = new Endpoint(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()),
                Map.of(), "test");
        return Cluster.of("app", 80, "v1", List.of(e), new LoadBalancer() {
            @Override
            public Endpoint pick(Endpoint[] endpoints, RequestView request, Context context) {
                return endpoints[0];
            }

            @Override
            public String describe() {
                return "first";
            }
        }, 2_000, stats, limits, null, null);
    }

    /** What one acquire got. */
    static final class Result implements UpstreamConnector.Callback {
        final CompletableFuture<Channel> ready = new CompletableFuture<>();
        volatile boolean reused;
        volatile boolean abandoned;

        @Override
        public void upstreamReady(Channel channel, boolean wasReused) {
            reused = wasReused;
            ready.complete(channel);
        }

        @Override
        public void upstreamFailed(Throwable cause) {
            ready.completeExceptionally(cause);
        }

        @Override
        public boolean abandoned() {
            return abandoned;
        }
    }

    private Result acquire(Cluster c) throws Exception {
        Result r = new Result();
        loop.submit(() -> pools.acquire(loop, c, c.endpoints().get(0), false, r)).get(5, TimeUnit.SECONDS);
        return r;
    }

    private void release(Channel ch) throws Exception {
        loop.submit(() -> {
            ch.pipeline().get(UpstreamHandler.class).detach();
            pools.release(ch);
        }).get(5, TimeUnit.SECONDS);
    }

    @Test
    void beyondMaxConnectionsRequestsWaitAndBeyondPendingTheyAreRefused() throws Exception {
        Cluster c = cluster(new ConnectionLimits(1, 1, 0, 0));
        Result first = acquire(c);
        Channel ch = first.ready.get(5, TimeUnit.SECONDS);
        assertThat(first.reused).isFalse();

        Result second = acquire(c); // no idle connection, one open: waits
        assertThat(second.ready).isNotDone();
        assertThat(pools.pendingRequests(c.name())).isEqualTo(1);
        assertThat(stats.connectionOverflow.get()).isEqualTo(1);

        Result third = acquire(c); // the pending queue is full
        assertThat(third.ready).isCompletedExceptionally();
        assertThat(third.ready.handle((ok, e) -> e).get()).isSameAs(UpstreamRefusal.OVERFLOW);
        assertThat(stats.pendingOverflow.get()).isEqualTo(1);

        release(ch); // goes straight to the waiter
        assertThat(second.ready.get(5, TimeUnit.SECONDS)).isSameAs(ch);
        assertThat(second.reused).isTrue();
        assertThat(pools.pendingRequests(c.name())).isZero();
        assertThat(pools.openConnections(c.name())).isEqualTo(1);
        loop.submit(() -> ch.close()).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aWaiterAnsweredMeanwhileNoLongerCountsAsPending() throws Exception {
        Cluster c = cluster(new ConnectionLimits(1, 1, 0, 0));
        Channel ch = acquire(c).ready.get(5, TimeUnit.SECONDS);
        Result waiting = acquire(c);
        waiting.abandoned = true; // its request timed out
        Result next = acquire(c);
        assertThat(next.ready).isNotDone(); // took the abandoned one's place instead of 503 UO
        release(ch);
        assertThat(next.ready.get(5, TimeUnit.SECONDS)).isSameAs(ch);
        assertThat(waiting.ready).isNotDone();
        loop.submit(() -> ch.close()).get(5, TimeUnit.SECONDS);
    }

    @Test
    void maxRequestsPerConnectionClosesItAndTheWaiterGetsANewOne() throws Exception {
        Cluster c = cluster(new ConnectionLimits(1, 10, 1, 0));
        Channel ch = acquire(c).ready.get(5, TimeUnit.SECONDS);
        Result waiting = acquire(c);
        release(ch);
        Channel fresh = waiting.ready.get(5, TimeUnit.SECONDS);
        assertThat(fresh).isNotSameAs(ch);
        assertThat(waiting.reused).isFalse();
        assertThat(ch.closeFuture().await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(pools.openConnections(c.name())).isEqualTo(1);
        loop.submit(() -> fresh.close()).get(5, TimeUnit.SECONDS);
        fresh.closeFuture().await(5, TimeUnit.SECONDS);
        loop.submit(() -> { }).get(5, TimeUnit.SECONDS);
        assertThat(pools.openConnections(c.name())).isZero();
    }

    static final class CountingStats implements ClusterStats {
        final AtomicInteger pendingOverflow = new AtomicInteger();
        final AtomicInteger connectionOverflow = new AtomicInteger();

        @Override
        public void response(int status, long durationNanos) {
        }

        @Override
        public void connectFailure() {
        }

        @Override
        public void timeout() {
        }

        @Override
        public void pendingOverflow() {
            pendingOverflow.incrementAndGet();
        }

        @Override
        public void connectionOverflow() {
            connectionOverflow.incrementAndGet();
        }
    }
}
