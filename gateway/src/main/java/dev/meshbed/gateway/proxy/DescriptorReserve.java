package dev.meshbed.gateway.proxy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One file descriptor held back for hard times (nginx's and libuv's trick): when accepting fails
 * for want of descriptors, it is let go so that one waiting client can be accepted and told "503"
 * instead of hanging in the backlog; once that connection has closed, it is taken back.
 */
final class DescriptorReserve implements AutoCloseable {

    private static final Path DEV_NULL = Path.of("/dev/null");
    private FileChannel held;

    DescriptorReserve() {
        restore();
    }

    /** Lets the descriptor go (no-op if it is not held). */
    synchronized void release() {
        if (held != null) {
            try {
                held.close();
            } catch (IOException e) {
                // closed anyway
            }
            held = null;
        }
    }

    /** Takes a descriptor back if one is free; true if one is held now. */
    synchronized boolean restore() {
        if (held == null) {
            try {
                held = FileChannel.open(DEV_NULL);
            } catch (IOException | UnsupportedOperationException e) {
                return false; // still short (or no /dev/null): tried again after the next refusal
            }
        }
        return true;
    }

    synchronized boolean held() {
        return held != null;
    }

    @Override
    public void close() {
        release();
    }
}
