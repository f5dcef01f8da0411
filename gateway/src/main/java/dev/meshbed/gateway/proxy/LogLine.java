package dev.meshbed.gateway.proxy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;

/**
 * A growable byte buffer that access log lines are formatted into, so a line costs no String or
 * char[] of its own. One per event loop. Netty decodes HTTP header and request-line bytes as
 * ISO-8859-1 chars, so chars below 256 go back out as the bytes they came from (a UTF-8 path
 * stays UTF-8); anything above is encoded as UTF-8.
 */
final class LogLine {

    private static final DateTimeFormatter SECOND =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final byte[] DASH = {'-'};

    private byte[] buf;
    private int length;
    private long second = Long.MIN_VALUE;
    private byte[] secondText = new byte[0];

    LogLine(int capacity) {
        buf = new byte[capacity];
    }

    int length() {
        return length;
    }

    /** The bytes so far, and an empty buffer. */
    byte[] take() {
        byte[] out = Arrays.copyOf(buf, length);
        length = 0;
        return out;
    }

    LogLine ch(char c) {
        ensure(1);
        buf[length++] = (byte) c;
        return this;
    }

    /** {@code s}, or {@code -} when it is null or empty. */
    LogLine text(CharSequence s) {
        if (s == null || s.length() == 0) {
            return bytes(DASH);
        }
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x100) {
                return bytes(s.subSequence(i, n).toString().getBytes(StandardCharsets.UTF_8));
            }
            buf[length++] = (byte) c;
        }
        return this;
    }

    LogLine number(long v) {
        if (v < 0) {
            ch('-');
            v = -v;
        }
        ensure(20);
        int start = length;
        do {
            buf[length++] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v > 0);
        for (int i = start, j = length - 1; i < j; i++, j--) {
            byte t = buf[i];
            buf[i] = buf[j];
            buf[j] = t;
        }
        return this;
    }

    /** {@code 2026-11-27T18:13:58.103Z}; the part up to the second is formatted once a second. */
    LogLine timestamp(long epochMillis) {
        long s = Math.floorDiv(epochMillis, 1000);
        if (s != second) {
            second = s;
            secondText = SECOND.format(Instant.ofEpochSecond(s)).getBytes(StandardCharsets.US_ASCII);
        }
        int ms = (int) Math.floorMod(epochMillis, 1000);
        bytes(secondText);
        ensure(5);
        buf[length++] = '.';
        buf[length++] = (byte) ('0' + ms / 100);
        buf[length++] = (byte) ('0' + ms / 10 % 10);
        buf[length++] = (byte) ('0' + ms % 10);
        buf[length++] = 'Z';
        return this;
    }

    private LogLine bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, length, b.length);
        length += b.length;
        return this;
    }

    private void ensure(int more) {
        if (length + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, length + more));
        }
    }

    @Override
    public String toString() {
        return new String(buf, 0, length, StandardCharsets.UTF_8);
    }
}
