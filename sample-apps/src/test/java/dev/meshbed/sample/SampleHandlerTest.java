package dev.meshbed.sample;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.PrimitiveIterator;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.stream.DoubleStream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

class SampleHandlerTest {

    private static final AppIdentity V1 = new AppIdentity("v1", "pod-a");

    @Test
    void echoesTheRequestAsJsonWithTheVersionHeader() {
        EmbeddedChannel channel = channel(Duration.ZERO, 0, draws());
        FullHttpRequest request = get("/hello?x=1");
        request.headers().add("X-Trace", "a").add("x-trace", "b").add("Accept", "*/*");

        channel.writeInbound(request);

        OutboundResponse response = OutboundResponse.next(channel);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(response.header("x-version")).isEqualTo("v1");
        assertThat(response.header(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
        assertThat(response.header(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(String.valueOf(response.body().length));
        assertThat(response.text()).isEqualTo("{\"version\":\"v1\",\"instance\":\"pod-a\",\"method\":\"GET\","
                + "\"path\":\"/hello?x=1\",\"headers\":{\"host\":\"app.local\",\"x-trace\":\"a, b\",\"accept\":\"*/*\"},"
                + "\"bodyBytes\":0,\"bodyCrc32\":\"00000000\"}");
        assertThat(channel.isOpen()).isTrue();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void digestsAStreamedBodyAndAnswersAfterTheLastChunk() {
        EmbeddedChannel channel = channel(Duration.ZERO, 0, draws());
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        byte[] first = "hello, ".getBytes(StandardCharsets.UTF_8);
        byte[] second = "streamed ".getBytes(StandardCharsets.UTF_8);
        byte[] third = "world".getBytes(StandardCharsets.UTF_8);

        channel.writeInbound(head, new DefaultHttpContent(Unpooled.copiedBuffer(first)),
                new DefaultHttpContent(Unpooled.copiedBuffer(second)));
        assertThat(OutboundResponse.next(channel)).as("no answer before the last chunk").isNull();
        channel.writeInbound(new DefaultLastHttpContent(Unpooled.copiedBuffer(third)));

        JsonNode body = Json.parse(OutboundResponse.next(channel).text());
        CRC32 crc = new CRC32();
        crc.update(first);
        crc.update(second);
        crc.update(third);
        assertThat(body.get("method").asText()).isEqualTo("POST");
        assertThat(body.get("bodyBytes").asLong()).isEqualTo(first.length + second.length + third.length);
        assertThat(body.get("bodyCrc32").asText()).isEqualTo(String.format("%08x", crc.getValue()));
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void healthzAnswersOkWithoutDrawingOrWaiting() {
        EmbeddedChannel channel = channel(Duration.ofSeconds(5), 1, draws());

        channel.writeInbound(get("/healthz"));

        OutboundResponse response = OutboundResponse.next(channel);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(response.header("x-version")).isEqualTo("v1");
        assertThat(response.text()).isEqualTo("ok");
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void errorRateAnswers503WhenTheDrawFallsBelowIt() {
        EmbeddedChannel channel = channel(Duration.ZERO, 0.2, draws(0.1, 0.7, 0.19999));

        channel.writeInbound(get("/a"), get("/b"), get("/c"));

        OutboundResponse failed = OutboundResponse.next(channel);
        assertThat(failed.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
        assertThat(failed.header("x-version")).isEqualTo("v1");
        assertThat(failed.text()).isEqualTo(
                "{\"version\":\"v1\",\"instance\":\"pod-a\",\"error\":\"injected failure (error rate 0.2)\"}");
        assertThat(OutboundResponse.next(channel).status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(OutboundResponse.next(channel).status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void latencyDelaysTheResponseOnTheEventLoopTimer() {
        EmbeddedChannel channel = channel(Duration.ofMillis(50), 0, draws());
        channel.freezeTime();

        channel.writeInbound(get("/slow"));
        assertThat(OutboundResponse.next(channel)).isNull();
        channel.advanceTimeBy(49, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(OutboundResponse.next(channel)).isNull();
        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();

        assertThat(OutboundResponse.next(channel).status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void pipelinedResponsesKeepTheirOrderWhenOnlySomeWait() {
        EmbeddedChannel channel = channel(Duration.ofMillis(100), 0, draws());
        channel.freezeTime();

        channel.writeInbound(get("/status/201"), get("/healthz"), get("/status/202"));
        assertThat(OutboundResponse.next(channel)).as("healthz waits behind the delayed 201").isNull();
        channel.advanceTimeBy(100, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();

        assertThat(OutboundResponse.next(channel).status()).isEqualTo(HttpResponseStatus.CREATED);
        assertThat(OutboundResponse.next(channel).text()).isEqualTo("ok");
        assertThat(OutboundResponse.next(channel).status()).isEqualTo(HttpResponseStatus.ACCEPTED);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void headGetsTheHeadersOfGetWithoutTheBody() {
        EmbeddedChannel channel = channel(Duration.ZERO, 0, draws());

        channel.writeInbound(request(HttpMethod.GET, "/same"), request(HttpMethod.HEAD, "/same"));

        OutboundResponse get = OutboundResponse.next(channel);
        OutboundResponse head = OutboundResponse.next(channel);
        assertThat(head.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(head.header("x-version")).isEqualTo("v1");
        assertThat(head.body()).isEmpty();
        // The echo names the method, so HEAD's would-be body is one byte longer than GET's.
        assertThat(Long.parseLong(head.header(HttpHeaderNames.CONTENT_LENGTH))).isEqualTo(get.body().length + 1);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void statusPathAnswersThatStatusWithTheEchoBody() {
        EmbeddedChannel channel = channel(Duration.ZERO, 0, draws());

        channel.writeInbound(get("/status/503"), get("/status/204"), get("/status/99"), get("/status/abc"));

        OutboundResponse unavailable = OutboundResponse.next(channel);
        assertThat(unavailable.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
        assertThat(unavailable.header("x-version")).isEqualTo("v1");
        assertThat(Json.parse(unavailable.text()).get("path").asText()).isEqualTo("/status/503");
        OutboundResponse noContent = OutboundResponse.next(channel);
        assertThat(noContent.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
        assertThat(noContent.header(HttpHeaderNames.CONTENT_LENGTH)).isNull();
        assertThat(noContent.body()).isEmpty();
        OutboundResponse tooLow = OutboundResponse.next(channel);
        assertThat(tooLow.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
        assertThat(Json.parse(tooLow.text()).get("error").asText()).isEqualTo("status: 99 (expected: 200-599)");
        assertThat(OutboundResponse.next(channel).status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void bytesStreamsTheDeterministicPatternAcrossChunks() {
        EmbeddedChannel channel = channel(Duration.ZERO, 0, draws());
        int length = 200_003; // several chunks, the last one short

        channel.writeInbound(get("/bytes/" + length), get("/bytes/0"));

        OutboundResponse response = OutboundResponse.next(channel);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(response.header("x-version")).isEqualTo("v1");
        assertThat(response.header(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(String.valueOf(length));
        assertThat(response.body()).hasSize(length);
        assertThat(response.crc32()).isEqualTo(PatternStreams.patternCrc(length));
        OutboundResponse empty = OutboundResponse.next(channel);
        assertThat(empty.header(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo("0");
        assertThat(empty.body()).isEmpty();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void bytesRefusesBadCountsAndOtherMethods() {
        EmbeddedChannel channel = channel(Duration.ZERO, 0, draws());

        channel.writeInbound(get("/bytes/10737418241"), get("/bytes/-1"), request(HttpMethod.POST, "/bytes/5"),
                request(HttpMethod.HEAD, "/bytes/10737418240"));

        assertThat(Json.parse(OutboundResponse.next(channel).text()).get("error").asText())
                .isEqualTo("bytes: 10737418241 (expected: 0-10737418240)");
        assertThat(OutboundResponse.next(channel).status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
        OutboundResponse post = OutboundResponse.next(channel);
        assertThat(post.status()).isEqualTo(HttpResponseStatus.METHOD_NOT_ALLOWED);
        assertThat(post.header(HttpHeaderNames.ALLOW)).isEqualTo("GET, HEAD");
        OutboundResponse head = OutboundResponse.next(channel);
        assertThat(head.header(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo("10737418240");
        assertThat(head.body()).isEmpty();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void decoderFailureAnswers400AndCloses() {
        EmbeddedChannel channel = channel(Duration.ZERO, 0, draws());
        FullHttpRequest broken = get("/bad-request");
        broken.setDecoderResult(DecoderResult.failure(
                new TooLongHttpLineException("An HTTP line is larger than 4096 bytes.")));

        channel.writeInbound(broken, get("/after"));

        OutboundResponse response = OutboundResponse.next(channel);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
        assertThat(response.header("x-version")).isEqualTo("v1");
        assertThat(response.header(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(response.text()).isEqualTo("bad request: An HTTP line is larger than 4096 bytes.\n");
        assertThat(OutboundResponse.next(channel)).as("nothing answered after it").isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void connectionCloseEndsTheConnectionAfterItsResponse() {
        EmbeddedChannel channel = channel(Duration.ZERO, 0, draws());
        FullHttpRequest last = get("/last");
        last.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);

        channel.writeInbound(last, get("/ignored"));

        assertThat(OutboundResponse.next(channel).header(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(OutboundResponse.next(channel)).isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    private static EmbeddedChannel channel(Duration latency, double errorRate, DoubleSupplier random) {
        return new EmbeddedChannel(new ChunkedWriteHandler(), new SampleHandler(V1, latency, errorRate, random));
    }

    private static FullHttpRequest get(String uri) {
        return request(HttpMethod.GET, uri);
    }

    private static FullHttpRequest request(HttpMethod method, String uri) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        request.headers().set(HttpHeaderNames.HOST, "app.local");
        return request;
    }

    /** The given draws in order; drawing more than given fails the test. */
    private static DoubleSupplier draws(double... values) {
        PrimitiveIterator.OfDouble next = DoubleStream.of(values).iterator();
        return () -> {
            assertThat(next.hasNext()).as("more draws than %s", Arrays.toString(values)).isTrue();
            return next.nextDouble();
        };
    }
}
