package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100 MB up and 100 MB down through the in-process gateway, checked byte for byte (length and
 * CRC32), while a sampler thread records how much memory Netty's allocators hold.
 *
 * <p>What is sampled: in Netty 4.2 {@code ByteBufAllocator.DEFAULT}, which every channel uses, is
 * the adaptive allocator, not {@code PooledByteBufAllocator.DEFAULT}; sampling only the latter
 * would measure an allocator nobody uses. So both are sampled (their sum is asserted), and Netty's
 * own count of the direct memory it allocated ({@code PlatformDependent.usedDirectMemory()},
 * every allocator) is asserted too.
 *
 * <p>Why the bound of 32 MB proves streaming: the gateway stops reading one side while the other
 * side's outbound buffer is above its high-water mark (128 KiB), and the decoders hand over at
 * most 64 KiB per chunk, so a streaming gateway holds a few hundred KiB per transfer. The sample
 * apps run in this JVM too and stream as well (their download is written by a ChunkedWriteHandler
 * that also respects writability). The allocators keep memory in chunks (the adaptive
 * allocator's chunks and the pooled allocator's 4 MiB chunks, a few per event-loop thread), which
 * accounts for a few MiB of "used" memory that is not live data. A gateway that held a 100 MB
 * body, or even a third of it, would be far above 32 MB; with failsafe's
 * {@code -XX:MaxDirectMemorySize=96m} it would fail to allocate altogether.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class StreamingIT {

    static final long SIZE = 100L * 1024 * 1024;
    static final long BOUND = 32L * 1024 * 1024;

    @TempDir
    static Path work;

    private LocalTestbed bed;

    @BeforeAll
    void start() throws Exception {
        bed = LocalTestbed.builder(work).start();
    }

    @AfterAll
    void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void uploads100MegabytesWithoutHoldingThem() throws Exception {
        LongUnaryOperator pattern = i -> (i * 7 + (i >>> 13)) & 0xff;
        long expectedCrc = crc(new Generated(SIZE, pattern));
        HttpResponse<String> r;
        Peak peak;
        try (MemorySampler sampler = MemorySampler.start()) {
            r = bed.client().send(bed.request("/upload").timeout(Duration.ofSeconds(120))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Generated(SIZE, pattern))).build(),
                    BodyHandlers.ofString());
            peak = sampler.stop();
        }
        assertThat(r.statusCode()).as("upload status: %s", r.body()).isEqualTo(200);
        JsonNode body = LocalTestbed.JSON.readTree(r.body());
        assertThat(body.path("method").asText()).isEqualTo("POST");
        assertThat(body.path("bodyBytes").asLong()).as("bytes the sample app received").isEqualTo(SIZE);
        assertThat(body.path("bodyCrc32").asText()).as("CRC32 of what the sample app received")
                .isEqualTo(String.format("%08x", expectedCrc));
        peak.assertBelow(BOUND, "upload");
    }

    @Test
    void downloads100MegabytesWithoutHoldingThem() throws Exception {
        long expectedCrc = crc(new Generated(SIZE, i -> i % 251));
        Peak peak;
        long received = 0;
        CRC32 crc = new CRC32();
        HttpResponse<InputStream> r;
        try (MemorySampler sampler = MemorySampler.start()) {
            r = bed.client().send(bed.request("/bytes/" + SIZE).timeout(Duration.ofSeconds(30)).build(),
                    BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                byte[] buf = new byte[64 * 1024];
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    crc.update(buf, 0, n);
                    received += n;
                }
            }
            peak = sampler.stop();
        }
        assertThat(r.statusCode()).as("download status").isEqualTo(200);
        assertThat(received).as("bytes received through the gateway").isEqualTo(SIZE);
        assertThat(String.format("%08x", crc.getValue())).as("CRC32 of the bytes received (byte i = i %% 251)")
                .isEqualTo(String.format("%08x", expectedCrc));
        peak.assertBelow(BOUND, "download");
    }

    static long crc(InputStream in) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buf = new byte[64 * 1024];
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
            crc.update(buf, 0, n);
        }
        return crc.getValue();
    }

    /** {@code size} bytes made on the fly, byte i = pattern(i): nothing is held in memory. */
    static final class Generated extends InputStream {
        private final long size;
        private final LongUnaryOperator pattern;
        private long pos;

        Generated(long size, LongUnaryOperator pattern) {
            this.size = size;
            this.pattern = pattern;
        }

        @Override
        public int read() {
            return pos < size ? (int) pattern.applyAsLong(pos++) : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= size) {
                return -1;
            }
            int n = (int) Math.min(len, size - pos);
            for (int k = 0; k < n; k++) {
                b[off + k] = (byte) pattern.applyAsLong(pos + k);
            }
            pos += n;
            return n;
        }
    }

    /** The highest memory figures seen while sampling, in bytes. */
    record Peak(long allocators, long allocatorsBaseline, long nettyDirect, long jdkDirect, int samples) {

        void assertBelow(long bound, String what) {
            System.out.printf("%s: peak memory of Netty's allocators %.1f MiB (before: %.1f MiB), Netty direct "
                            + "counter %s, JDK direct buffers %.1f MiB, %d samples%n", what, mib(allocators),
                    mib(allocatorsBaseline), nettyDirect < 0 ? "n/a" : String.format("%.1f MiB", mib(nettyDirect)),
                    mib(jdkDirect), samples);
            assertThat(samples).as("%s: memory samples taken", what).isGreaterThan(10);
            assertThat(allocators).as("%s: the allocators report their usage (a metric stuck at 0 would make the "
                    + "bound below meaningless)", what).isPositive();
            assertThat(allocators).as("%s: peak memory held by Netty's allocators (%.1f MiB)", what,
                    mib(allocators)).isLessThan(bound);
            if (nettyDirect >= 0) {
                assertThat(nettyDirect).as("%s: peak of Netty's direct memory counter (%.1f MiB)", what,
                        mib(nettyDirect)).isLessThan(bound);
            }
        }

        private static double mib(long bytes) {
            return bytes / (1024.0 * 1024);
        }
    }

    /**
     * Samples, every few milliseconds, the memory held by the allocators Netty channels use:
     * {@code ByteBufAllocator.DEFAULT} (the adaptive allocator in Netty 4.2, unless
     * {@code io.netty.allocator.type} says otherwise) and {@code PooledByteBufAllocator.DEFAULT};
     * also Netty's own direct-memory counter and the JDK's direct buffer pool, for the report.
     */
    static final class MemorySampler implements AutoCloseable {
        private final Thread thread;
        private final long baseline;
        private volatile boolean running = true;
        private long peakAllocators;
        private long peakNettyDirect = -1;
        private long peakJdkDirect;
        private int samples;

        private MemorySampler() {
            baseline = allocatorsUsed();
            thread = new Thread(this::run, "memory-sampler");
            thread.setDaemon(true);
        }

        static MemorySampler start() {
            MemorySampler s = new MemorySampler();
            s.thread.start();
            return s;
        }

        private void run() {
            BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                    .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
            while (running) {
                long a = allocatorsUsed();
                long n = PlatformDependent.usedDirectMemory();
                long j = direct.getMemoryUsed();
                synchronized (this) {
                    peakAllocators = Math.max(peakAllocators, a);
                    peakNettyDirect = Math.max(peakNettyDirect, n);
                    peakJdkDirect = Math.max(peakJdkDirect, j);
                    samples++;
                }
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        static long allocatorsUsed() {
            Set<ByteBufAllocatorMetric> metrics = new LinkedHashSet<>();
            if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p) {
                metrics.add(p.metric());
            }
            metrics.add(PooledByteBufAllocator.DEFAULT.metric());
            long sum = 0;
            for (ByteBufAllocatorMetric m : metrics) {
                sum += Math.max(0, m.usedDirectMemory()) + Math.max(0, m.usedHeapMemory());
            }
            return sum;
        }

        Peak stop() throws InterruptedException {
            running = false;
            thread.join(2000);
            synchronized (this) {
                return new Peak(peakAllocators, baseline, peakNettyDirect, peakJdkDirect, samples);
            }
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
        }
    }
}
