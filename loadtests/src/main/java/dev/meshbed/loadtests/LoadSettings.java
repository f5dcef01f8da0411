package dev.meshbed.loadtests;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a run is asked to do, from system properties ({@code scripts/loadtest.sh} maps the make
 * variables onto them). Every value is checked here, so that a typo stops the run before any load
 * with a message that names the variable.
 *
 * <pre>
 *   TARGET       loadtest.target       base URL; default: the running testbed's edge (or its app NodePort)
 *   MODE         loadtest.mode         local | cluster; default: whichever testbed is running
 *   NAME         loadtest.testbed      the cluster testbed's name (make up NAME=...); default meshbed
 *   WEIGHTS      loadtest.weights      expected split, v1=80,v2=20; default: read from the VirtualService
 *   RATE         loadtest.rate         users (requests) per second, open model; default 200
 *   DURATION     loadtest.duration     seconds; default 20 (40 for WeightShift)
 *   MODEL        loadtest.model        open | closed; default open
 *   USERS        loadtest.users        concurrent users, closed model; default 16
 *   CONNECTIONS  loadtest.connections  keepalive | new; default keepalive (new for DirectNodePort)
 *   CONFIDENCE   loadtest.confidence   of the verdict, 0.99 or 99; default 0.99
 *   STEPS        loadtest.steps        WeightShift's weights in turn; default 100-0,90-10,50-50,0-100
 * </pre>
 */
public record LoadSettings(
        Optional<String> target,
        Optional<String> mode,
        Optional<String> weights,
        double rate,
        Duration duration,
        Model model,
        int users,
        Connections connections,
        double confidence,
        String steps,
        String path,
        Path root,
        Path results,
        String testbed) {

    public enum Model { OPEN, CLOSED }

    /** kube-proxy balances per connection, so which of these the load uses changes what a NodePort shows. */
    public enum Connections {
        /** A shared pool of keep-alive connections: many requests per connection. */
        KEEPALIVE,
        /** A new connection per request ({@code connection: close}). */
        NEW
    }

    public static final String DEFAULT_STEPS = "100-0,90-10,50-50,0-100";

    /** From {@link System#getProperties()}; {@code defaultDuration} and {@code defaultConnections} are per scenario. */
    public static LoadSettings fromSystemProperties(Duration defaultDuration, Connections defaultConnections) {
        return from(Map.copyOf(toMap(System.getProperties())), defaultDuration, defaultConnections);
    }

    static Map<String, String> toMap(java.util.Properties p) {
        java.util.Map<String, String> m = new java.util.HashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return m;
    }

    public static LoadSettings from(Map<String, String> p, Duration defaultDuration, Connections defaultConnections) {
        Optional<String> target = opt(p, "target").map(LoadSettings::checkUrl);
        Optional<String> mode = opt(p, "mode").map(m -> {
            String v = m.toLowerCase(Locale.ROOT);
            if (!v.equals("local") && !v.equals("cluster")) {
                throw new LoadTestException("MODE: " + m + " (expected: local or cluster)");
            }
            return v;
        });
        double rate = number(p, "rate", "RATE", 200, "users per second > 0");
        double seconds = number(p, "duration", "DURATION", defaultDuration.toMillis() / 1000.0, "seconds > 0");
        Model model = choice(p, "model", "MODEL", Model.class, Model.OPEN);
        double users = number(p, "users", "USERS", 16, "concurrent users > 0");
        if (users != Math.rint(users)) {
            throw new LoadTestException("USERS: " + p.get("loadtest.users") + " (expected: a whole number > 0)");
        }
        Connections connections = choice(p, "connections", "CONNECTIONS", Connections.class, defaultConnections);
        double confidence = confidence(opt(p, "confidence").orElse("0.99"));
        String steps = opt(p, "steps").orElse(DEFAULT_STEPS);
        String path = opt(p, "path").orElse("/");
        if (!path.startsWith("/")) {
            throw new LoadTestException("PATH: " + path + " (expected: a request path starting with /)");
        }
        Path root = Path.of(opt(p, "root").orElse(".")).toAbsolutePath().normalize();
        Path results = Path.of(opt(p, "results").orElse(root.resolve("loadtests/target/gatling").toString()));
        String testbed = opt(p, "testbed").orElse(dev.meshbed.testbed.Project.DEFAULT_NAME);
        if (!testbed.matches("[A-Za-z0-9][-A-Za-z0-9_.]{0,62}")) {
            throw new LoadTestException("NAME: " + testbed + " (expected: a testbed name, like make up NAME=... took)");
        }
        return new LoadSettings(target, mode, opt(p, "weights"), rate, Duration.ofMillis(Math.round(seconds * 1000)),
                model, (int) users, connections, confidence, steps, path, root, results, testbed);
    }

    /** The expected number of requests: what the verdict's power depends on. */
    public long plannedRequests() {
        return model == Model.OPEN ? Math.round(rate * duration.toMillis() / 1000.0) : -1;
    }

    /** How the load is shaped, in a few words, for the run's header. */
    public String describeLoad() {
        String shape = model == Model.OPEN
                ? String.format(Locale.ROOT, "open model, %s users/s for %s s (about %d requests)", trim(rate),
                        trim(duration.toMillis() / 1000.0), plannedRequests())
                : String.format(Locale.ROOT, "closed model, %d concurrent users for %s s", users,
                        trim(duration.toMillis() / 1000.0));
        return shape + ", " + (connections == Connections.KEEPALIVE ? "keep-alive connections" : "a new connection per request");
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private static Optional<String> opt(Map<String, String> p, String key) {
        String v = p.get("loadtest." + key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
    }

    private static double number(Map<String, String> p, String key, String var, double dflt, String expected) {
        Optional<String> v = opt(p, key);
        if (v.isEmpty()) {
            return dflt;
        }
        double d;
        try {
            d = Double.parseDouble(v.get());
        } catch (NumberFormatException e) {
            throw new LoadTestException(var + ": " + v.get() + " (expected: " + expected + ")");
        }
        if (!(d > 0) || Double.isInfinite(d)) {
            throw new LoadTestException(var + ": " + v.get() + " (expected: " + expected + ")");
        }
        return d;
    }

    private static <E extends Enum<E>> E choice(Map<String, String> p, String key, String var, Class<E> type, E dflt) {
        Optional<String> v = opt(p, key);
        if (v.isEmpty()) {
            return dflt;
        }
        try {
            return Enum.valueOf(type, v.get().toUpperCase(Locale.ROOT).replace("-", ""));
        } catch (IllegalArgumentException e) {
            StringBuilder names = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                names.append(names.length() == 0 ? "" : " or ").append(c.name().toLowerCase(Locale.ROOT));
            }
            throw new LoadTestException(var + ": " + v.get() + " (expected: " + names + ")");
        }
    }

    /** {@code 0.99} or {@code 99} (percent). */
    static double confidence(String text) {
        double c;
        try {
            c = Double.parseDouble(text.replace("%", ""));
        } catch (NumberFormatException e) {
            throw new LoadTestException("CONFIDENCE: " + text + " (expected: 0.99 or 99)");
        }
        if (c >= 1 && c < 100) {
            c = c / 100;
        }
        if (!(c > 0 && c < 1)) {
            throw new LoadTestException("CONFIDENCE: " + text + " (expected: between 0 and 1, or a percentage below 100)");
        }
        return c;
    }

    static String checkUrl(String url) {
        java.net.URI u;
        try {
            u = java.net.URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new LoadTestException("TARGET: " + url + " (expected: a URL such as http://127.0.0.1:18080)");
        }
        if (!"http".equals(u.getScheme()) || u.getHost() == null) {
            throw new LoadTestException("TARGET: " + url + " (expected: an http:// URL with a host, such as http://127.0.0.1:18080)");
        }
        String s = url;
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }
}
