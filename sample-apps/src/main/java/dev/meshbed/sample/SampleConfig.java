package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * What one instance of the sample app is: the version it reports, where it listens, and the
 * faults it injects.
 *
 * @param version   the version reported in the body and the {@code x-version} header
 * @param bind      the address to listen on
 * @param port      the port to listen on; 0 picks a free one
 * @param instance  the instance name reported, or {@code null} to name it after the version and
 *                  the bound port (known only once bound, see {@link #instanceFor(int)})
 * @param latency   added to every response except {@code /healthz}
 * @param errorRate probability in [0, 1] that a request is answered 503 instead
 * @param drain     on SIGTERM, how long it serves on with {@code connection: close} on every response
 *                  before it stops listening (Istio's terminationDrainDuration, 5 s, for the gateway)
 */
public record SampleConfig(
        String version, String bind, int port, String instance, Duration latency, double errorRate, Duration drain) {

    static final Duration DEFAULT_DRAIN = Duration.ofSeconds(5);

    public SampleConfig(String version, String bind, int port, String instance, Duration latency, double errorRate) {
        this(version, bind, port, instance, latency, errorRate, DEFAULT_DRAIN);
    }

    static final String VERSION_EXPECTED = "expected: 1-63 letters, digits, '.', '_' or '-'";
    static final String BIND_EXPECTED = "expected: an address or a resolvable host name";
    static final String PORT_EXPECTED = "expected: 0-65535";
    static final String INSTANCE_EXPECTED = "expected: a non-blank name";
    static final String LATENCY_EXPECTED = "expected: a duration like 50ms, 1.5s or 0, at most 1h";
    static final String ERROR_RATE_EXPECTED = "expected: 0 <= rate <= 1";

    // Same alphabet and length as a Kubernetes label value, since it also lands in `version: v1`.
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._-]{1,63}");
    private static final Duration MAX_LATENCY = Duration.ofHours(1);

    public SampleConfig {
        requireNonNull(version, "version");
        requireNonNull(bind, "bind");
        requireNonNull(latency, "latency");
        check(isValidVersion(version), "version", version, VERSION_EXPECTED);
        check(isValidBind(bind), "bind", bind, BIND_EXPECTED);
        check(isValidPort(port), "port", port, PORT_EXPECTED);
        check(instance == null || isValidInstance(instance), "instance", instance, INSTANCE_EXPECTED);
        check(isValidLatency(latency), "latency", latency, LATENCY_EXPECTED);
        check(isValidErrorRate(errorRate), "errorRate", errorRate, ERROR_RATE_EXPECTED);
        requireNonNull(drain, "drain");
        check(isValidLatency(drain), "drain", drain, LATENCY_EXPECTED);
    }

    /** An instance on 127.0.0.1 and a free port, without faults: what an in-JVM test wants. */
    public static SampleConfig local(String version) {
        return new SampleConfig(version, "127.0.0.1", 0, null, Duration.ZERO, 0);
    }

    public SampleConfig withPort(int newPort) {
        return new SampleConfig(version, bind, newPort, instance, latency, errorRate, drain);
    }

    public SampleConfig withInstance(String newInstance) {
        return new SampleConfig(version, bind, port, newInstance, latency, errorRate, drain);
    }

    public SampleConfig withLatency(Duration newLatency) {
        return new SampleConfig(version, bind, port, instance, newLatency, errorRate, drain);
    }

    public SampleConfig withErrorRate(double newErrorRate) {
        return new SampleConfig(version, bind, port, instance, latency, newErrorRate, drain);
    }

    public SampleConfig withDrain(Duration newDrain) {
        return new SampleConfig(version, bind, port, instance, latency, errorRate, newDrain);
    }

    /** The instance name reported once the server listens on {@code boundPort}. */
    public String instanceFor(int boundPort) {
        return instance != null ? instance : "sample-" + version + "-" + boundPort;
    }

    static boolean isValidVersion(String version) {
        return VERSION.matcher(version).matches();
    }

    static boolean isValidBind(String bind) {
        return !bind.isBlank();
    }

    static boolean isValidPort(int port) {
        return port >= 0 && port <= 65535;
    }

    static boolean isValidInstance(String instance) {
        return !instance.isBlank();
    }

    static boolean isValidLatency(Duration latency) {
        return !latency.isNegative() && latency.compareTo(MAX_LATENCY) <= 0;
    }

    static boolean isValidErrorRate(double rate) {
        return rate >= 0 && rate <= 1; // false for NaN too
    }

    private static void check(boolean valid, String name, Object value, String expected) {
        if (!valid) {
            throw new IllegalArgumentException(name + ": " + value + " (" + expected + ")");
        }
    }
}
