package dev.meshbed.gateway.proxy;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Random version-4 UUIDs for {@code x-request-id}. {@link java.util.UUID#randomUUID()} draws from
 * a shared SecureRandom; an event loop should not queue behind it, and a request id needs no
 * cryptographic strength.
 */
final class RequestIds {

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private RequestIds() {
    }

    /** An id as ASCII bytes wrapped without a copy: no char[] and no String per request. */
    static AsciiString next() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi = (r.nextLong() & ~0xF000L) | 0x4000L; // version 4
        long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
        byte[] out = new byte[36];
        hex(hi >>> 32, out, 0, 8);
        out[8] = '-';
        hex(hi >>> 16, out, 9, 4);
        out[13] = '-';
        hex(hi, out, 14, 4);
        out[18] = '-';
        hex(lo >>> 48, out, 19, 4);
        out[23] = '-';
        hex(lo, out, 24, 12);
        return new AsciiString(out, false);
    }

    private static void hex(long value, byte[] out, int offset, int digits) {
        for (int i = digits - 1; i >= 0; i--) {
            out[offset + i] = HEX[(int) (value & 0xF)];
            value >>>= 4;
        }
    }
}
