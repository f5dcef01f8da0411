package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.config.ConfigSnapshot;
import dev.meshbed.gateway.config.Rejection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a 404 NR may be owed to, worked out when the table is built: no Gateway at all, or
 * resources that were rejected (a Gateway whose apiVersion has a typo is one). The proxy's NR
 * path calls {@link #report()}, which logs the text at most once per {@link #INTERVAL_NANOS}
 * (a flood of 404s must not flood the log) and costs a clock read and a compare otherwise.
 * Thread-safe.
 */
public final class NoRouteHint {

    private static final Logger log = LoggerFactory.getLogger(NoRouteHint.class);

    /** At most one line per 10 s. */
    static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How many rejected resources the line names; the dump has them all. */
    static final int MAX_NAMED = 3;

    private static final NoRouteHint NONE = new NoRouteHint(null, System::nanoTime);

    private final String text;
    private final LongSupplier nanoClock;
    private final AtomicLong nextLogNanos;

    NoRouteHint(String text, LongSupplier nanoClock) {
        this.text = text;
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.nextLogNanos = new AtomicLong(nanoClock.getAsLong());
    }

    /** Nothing to say: the table has a Gateway and rejected nothing. */
    public static NoRouteHint none() {
        return NONE;
    }

    /** The hint for a table built from {@code snapshot}, or {@link #none()}. */
    static NoRouteHint of(ConfigSnapshot snapshot, LongSupplier nanoClock) {
        String text = describe(snapshot);
        return text == null ? NONE : new NoRouteHint(text, nanoClock);
    }

    static String describe(ConfigSnapshot snapshot) {
        List<Rejection> rejected = snapshot.rejections();
        boolean noGateway = snapshot.gateways().isEmpty();
        if (!noGateway && rejected.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder("404 NR");
        if (noGateway) {
            sb.append(": no Gateway is applied");
        }
        if (!rejected.isEmpty()) {
            sb.append(noGateway ? "; " : ": ").append(rejected.size()).append(rejected.size() == 1
                    ? " resource was rejected: " : " resources were rejected: ");
            for (int i = 0; i < Math.min(MAX_NAMED, rejected.size()); i++) {
                sb.append(i == 0 ? "" : "; ").append(rejected.get(i).describe());
            }
            if (rejected.size() > MAX_NAMED) {
                sb.append("; and ").append(rejected.size() - MAX_NAMED).append(" more");
            }
        }
        return sb.append(" (see /config_dump)").toString();
    }

    /** The line, or null when there is nothing to say. */
    public String text() {
        return text;
    }

    /** Logs the hint unless it was logged less than 10 s ago; true when it logged. */
    public boolean report() {
        if (text == null) {
            return false;
        }
        long now = nanoClock.getAsLong();
        long next = nextLogNanos.get();
        if (now - next < 0 || !nextLogNanos.compareAndSet(next, now + INTERVAL_NANOS)) {
            return false;
        }
        log.warn("{}", text);
        return true;
    }
}
