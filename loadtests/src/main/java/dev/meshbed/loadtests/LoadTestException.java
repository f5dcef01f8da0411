package dev.meshbed.loadtests;

/** A problem found before the load starts (bad settings, an unreachable or wrong target): one clear line. */
public final class LoadTestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public LoadTestException(String message) {
        super(message);
    }

    public LoadTestException(String message, Throwable cause) {
        super(message, cause);
    }
}
