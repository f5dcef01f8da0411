package dev.meshbed.sample;

import java.io.IOException;
import java.io.InputStream;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/** Large bodies for the ITs, generated on the fly so that the test itself holds none of them. */
final class PatternStreams {

    private PatternStreams() {
    }

    /** {@code length} pseudo-random bytes from {@code seed}: the same bytes every time. */
    static InputStream seeded(long length, long seed) {
        return new InputStream() {
            private final SplittableRandom random = new SplittableRandom(seed);
            private long remaining = length;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] buffer, int offset, int count) {
                if (remaining == 0) {
                    return -1;
                }
                int size = (int) Math.min(count, remaining);
                for (int i = 0; i < size; i++) {
                    buffer[offset + i] = (byte) random.nextInt(256);
                }
                remaining -= size;
                return size;
            }
        };
    }

    /** CRC32 of the first {@code length} bytes of {@code /bytes}' pattern, byte i = i % 251, worked out independently. */
    static long patternCrc(long length) {
        CRC32 crc = new CRC32();
        byte[] block = new byte[8192];
        for (long offset = 0; offset < length; offset += block.length) {
            int size = (int) Math.min(block.length, length - offset);
            for (int i = 0; i < size; i++) {
                block[i] = (byte) ((offset + i) % 251);
            }
            crc.update(block, 0, size);
        }
        return crc.getValue();
    }

    /** Reads {@code in} to its end and returns [byte count, CRC32]. */
    static long[] countAndCrc(InputStream in) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buffer = new byte[64 * 1024];
        long count = 0;
        try (in) {
            for (int read; (read = in.read(buffer)) >= 0; ) {
                crc.update(buffer, 0, read);
                count += read;
            }
        }
        return new long[] {count, crc.getValue()};
    }
}
