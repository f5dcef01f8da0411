package dev.meshbed.sample;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;

/**
 * A body of any length whose byte {@code i} is {@code i % 251}: a client can check it without
 * having to keep a copy, and 251 being prime, a chunk shifted or lost on the way shows.
 */
final class PatternBytesInput implements ChunkedInput<ByteBuf> {

    static final int PERIOD = 251;
    private static final int CHUNK_SIZE = 64 * 1024;
    // A chunk starting anywhere in the period is one contiguous slice of this.
    private static final byte[] PATTERN = new byte[CHUNK_SIZE + PERIOD];

    static {
        for (int i = 0; i < PATTERN.length; i++) {
            PATTERN[i] = (byte) (i % PERIOD);
        }
    }

    private final long length;
    private long offset;

    PatternBytesInput(long length) {
        if (length < 0) {
            throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
        }
        this.length = length;
    }

    @Override
    public boolean isEndOfInput() {
        return offset >= length;
    }

    @Override
    public void close() {
        // generated, nothing to release
    }

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) {
        return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) {
        if (isEndOfInput()) {
            return null;
        }
        int size = (int) Math.min(CHUNK_SIZE, length - offset);
        ByteBuf chunk = allocator.buffer(size);
        chunk.writeBytes(PATTERN, (int) (offset % PERIOD), size);
        offset += size;
        return chunk;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public long progress() {
        return offset;
    }
}
