package dev.meshbed.testbed;

/** A failure the launcher reports in one message, with the exit code it ends with. */
public final class TestbedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Something failed on the way (a rollout, an apply, a start). */
    public static final int FAILED = 1;
    /** The command line or the project is wrong. */
    public static final int USAGE = 2;
    /** Something the testbed needs is missing here (Docker, the k3s image, a tarball): nothing was started. */
    public static final int MISSING = 3;

    private final int exitCode;

    public TestbedException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public TestbedException(String message, Throwable cause) {
        super(message, cause);
        this.exitCode = FAILED;
    }

    public int exitCode() {
        return exitCode;
    }
}
