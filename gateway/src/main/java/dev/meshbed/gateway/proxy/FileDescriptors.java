package dev.meshbed.gateway.proxy;

import java.lang.management.ManagementFactory;

/** The process's open-file limit, where the platform tells it. */
public final class FileDescriptors {

    private FileDescriptors() {
    }

    /** The maximum number of open file descriptors, or -1 when unknown. */
    public static long limit() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getMaxFileDescriptorCount();
        }
        return -1;
    }
}
