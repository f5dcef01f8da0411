package dev.meshbed.gateway.proxy;

import dev.meshbed.gateway.config.ConfigStore;
import dev.meshbed.gateway.config.IstioYamlReader;
import dev.meshbed.gateway.routing.ClusterStats;
import dev.meshbed.gateway.routing.ListenerSpec;
import dev.meshbed.gateway.routing.RandomSource;
import dev.meshbed.gateway.routing.RoutingTableHolder;
import dev.meshbed.gateway.routing.TableCompiler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * A gateway connection on EmbeddedChannels: the client side is the downstream channel, and every
 * upstream connection the exchange asks for is another EmbeddedChannel that the test plays the
 * server on. Raw HTTP goes in and comes out, so what is checked is what travels on the wire.
 */
final class EmbeddedProxy implements AutoCloseable {

    /** Host {@code app} with subsets v1 and v2 on two endpoints (10.0.0.1:8001, 10.0.0.2:8002), for routing fixtures. */
    static final String APP_SUBSETS_AND_ENDPOINTS = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: app, namespace: default}
            spec:
              host: app
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: app, namespace: default}
            spec:
              hosts: [app.default.svc.cluster.local]
              resolution: STATIC
              ports: [{number: 80, name: http, protocol: HTTP}]
              endpoints:
              - {address: 10.0.0.1, ports: {http: 8001}, labels: {version: v1}}
              - {address: 10.0.0.2, ports: {http: 8002}, labels: {version: v2}}
            """;


    /** How the fake connector answers an acquire. */
    enum Connect { OK, FAIL, HOLD }

    final EmbeddedChannel client;
    final FakeConnector connector = new FakeConnector();

    EmbeddedProxy(String yaml, RandomSource random) {
        this(yaml, random, RequestPolicy.DEFAULT);
    }

    EmbeddedProxy(String yaml, RandomSource random, RequestPolicy policy) {
        this(yaml, random, policy, ProxyMetrics.NOOP);
    }

    EmbeddedProxy(String yaml, RandomSource random, ProxyMetrics metrics) {
        this(yaml, random, RequestPolicy.DEFAULT, metrics);
    }

    EmbeddedProxy(String yaml, RandomSource random, RequestPolicy policy, ProxyMetrics metrics) {
        var parsed = new IstioYamlReader().read("test.yaml", yaml);
        var snapshot = new ConfigStore().propose(List.of(parsed));
        var compiler = new TableCompiler(new TableCompiler.Options(Map.of("istio", "ingressgateway"),
                List.of(new ListenerSpec(8080, 0)), ClusterStats.Factory.NOOP, 1000));
        RoutingTableHolder tables = new RoutingTableHolder(compiler.compile(snapshot).table());
        ProxyContext context = new ProxyContext(tables, connector, metrics, AccessLog.off(), random);
        client = new EmbeddedChannel(new HttpServerCodec(), new RequestGuard(policy), new HttpServerExpectContinueHandler(),
                new DownstreamHandler(context, 0));
    }

    /** The client sends raw bytes. */
    void send(String raw) {
        client.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    }

    /** Everything the client has received so far. */
    String received() {
        return drain(client);
    }

    /** The n-th upstream connection made (0-based). */
    EmbeddedChannel upstream(int n) {
        return connector.created.get(n);
    }

    /** What the gateway sent on an upstream connection so far. */
    static String sentOn(EmbeddedChannel upstream) {
        return drain(upstream);
    }

    /** The test's upstream server answers with raw bytes. */
    static void reply(EmbeddedChannel upstream, String raw) {
        upstream.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    }

    private static String drain(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    @Override
    public void close() {
        client.finishAndReleaseAll();
        for (EmbeddedChannel u : connector.created) {
            u.finishAndReleaseAll();
        }
    }

    /** Upstream connections as EmbeddedChannels, with an idle list like the real pool's. */
    static final class FakeConnector implements UpstreamConnector {
        final List<EmbeddedChannel> created = new ArrayList<>();
        final List<InetSocketAddress> addresses = new ArrayList<>();
        final List<Channel> released = new ArrayList<>();
        final Deque<Channel> idle = new ArrayDeque<>();
        Connect mode = Connect.OK;
        Callback held;

        @Override
        public void acquire(EventLoop loop, InetSocketAddress address, long connectTimeoutMillis, boolean fresh,
                Callback callback) {
            addresses.add(address);
            if (!fresh && !idle.isEmpty()) {
                callback.upstreamReady(idle.pollLast(), true);
                return;
            }
            switch (mode) {
                case OK -> callback.upstreamReady(newChannel(), false);
                case FAIL -> callback.upstreamFailed(new java.net.ConnectException("Connection refused"));
                case HOLD -> held = callback;
            }
        }

        EmbeddedChannel newChannel() {
            EmbeddedChannel ch = new EmbeddedChannel(new HttpClientCodec(), new UpstreamHandler(null, ProxyMetrics.NOOP));
            created.add(ch);
            return ch;
        }

        @Override
        public void release(Channel channel) {
            released.add(channel);
            idle.addLast(channel);
        }
    }
}
