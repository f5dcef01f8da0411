package dev.meshbed.gateway.testing;

import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Netty's leak detector, plus a record of every leak it reports, so that a test run fails on a
 * leak instead of printing "LEAK:" somewhere in the output. Installed for all tests through the
 * system property {@code io.netty.customResourceLeakDetector} (see the module's pom); checked by
 * {@link NoLeaksExtension}.
 */
public final class RecordingLeakDetector<T> extends ResourceLeakDetector<T> {

    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        LEAKS.add(resourceType + " leaked:" + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        LEAKS.add(resourceType + " leaked (no records)");
        super.reportUntracedLeak(resourceType);
    }

    /** Leaks reported so far, and forgets them. */
    static List<String> drain() {
        List<String> out = List.copyOf(LEAKS);
        LEAKS.clear();
        return out;
    }

    /** Whether Netty actually uses this class (the system property was set). */
    static boolean installed() {
        return RecordingLeakDetector.class.getName().equals(System.getProperty("io.netty.customResourceLeakDetector"));
    }
}
