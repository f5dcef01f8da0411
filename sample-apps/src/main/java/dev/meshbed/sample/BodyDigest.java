package dev.meshbed.sample;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/** Size and CRC32 of a request body, taken chunk by chunk so that the body is never held whole. */
final class BodyDigest {

    private final CRC32 crc = new CRC32();
    private long bytes;

    /** Adds the readable bytes of {@code chunk}, leaving its reader index where it was. */
    void update(ByteBuf chunk) {
        int length = chunk.readableBytes();
        if (length == 0) {
            return;
        }
        if (chunk.nioBufferCount() >= 0) {
            for (ByteBuffer part : chunk.nioBuffers()) {
                crc.update(part);
            }
        } else {
            crc.update(ByteBufUtil.getBytes(chunk));
        }
        bytes += length;
    }

    long bytes() {
        return bytes;
    }

    long crc32() {
        return crc.getValue();
    }
}
