package dev.meshbed.gateway.source;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.config.ConfigSnapshot;
import dev.meshbed.gateway.config.ConfigStore;
import dev.meshbed.gateway.config.ParsedSource;
import dev.meshbed.gateway.config.Rejection;
import dev.meshbed.gateway.routing.RoutingTable;
import dev.meshbed.gateway.routing.RoutingTableHolder;
import dev.meshbed.gateway.routing.TableCompiler;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one config thread: when a source signals a change it waits a moment for the burst to end
 * (an editor's save, a {@code kubectl apply} of several resources), reads the source, keeps last
 * accepted versions of whatever was rejected, compiles a table and swaps it in. Requests in
 * flight finish on the table they started with.
 */
public final class ConfigPipeline implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigPipeline.class);

    /** Called after each install, on the config thread. */
    public interface InstallListener {
        void installed(RoutingTable table, long compileNanos);
    }

    private final ConfigSource source;
    private final ConfigStore store = new ConfigStore();
    private final TableCompiler compiler;
    private final RoutingTableHolder holder;
    private final InstallListener listener;
    private final long debounceMillis;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "meshbed-config");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final CompletableFuture<RoutingTable> firstInstall = new CompletableFuture<>();
    private Set<String> loggedRejections = Set.of();
    private Set<String> loggedWarnings = Set.of();
    private volatile long lastRebuildNanos = System.nanoTime() - TimeUnit.DAYS.toNanos(1);

    public ConfigPipeline(ConfigSource source, TableCompiler compiler, RoutingTableHolder holder,
            InstallListener listener, long debounceMillis) {
        this.source = requireNonNull(source, "source");
        this.compiler = requireNonNull(compiler, "compiler");
        this.holder = requireNonNull(holder, "holder");
        this.listener = requireNonNull(listener, "listener");
        this.debounceMillis = debounceMillis;
    }

    /** Starts the source; the first table is built as soon as the source has a complete view. */
    public void start() throws java.io.IOException {
        source.start(this::changed);
    }

    /** Completes when the first table is installed. */
    public CompletableFuture<RoutingTable> firstInstall() {
        return firstInstall;
    }

    /**
     * Debounce with a leading edge: a change after a quiet spell is built at once (the latency a
     * weight edit sees); changes that follow within {@code debounceMillis} of a build are
     * gathered into the next one.
     */
    private void changed() {
        if (scheduled.compareAndSet(false, true)) {
            long sinceLast = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastRebuildNanos);
            thread.schedule(this::rebuild, Math.max(0, debounceMillis - sinceLast), TimeUnit.MILLISECONDS);
        }
    }

    private void rebuild() {
        scheduled.set(false); // changes from now on schedule another round
        try {
            long start = System.nanoTime();
            List<ParsedSource> parsed = source.read();
            ConfigSnapshot snapshot = store.propose(parsed);
            TableCompiler.Result result = compiler.compile(snapshot);
            if (!result.crossReferenceProblems().isEmpty()) {
                snapshot = store.withdraw(snapshot, result.crossReferenceProblems());
                result = compiler.compile(snapshot);
            }
            RoutingTable table = result.table();
            holder.install(table);
            store.commit(snapshot);
            long nanos = System.nanoTime() - start;
            report(table, parsed, nanos);
            source.reportRejections(table.rejections());
            listener.installed(table, nanos);
            firstInstall.complete(table);
        } catch (RuntimeException | Error e) {
            log.error("building the routing table failed; the previous table keeps serving", e);
        } finally {
            lastRebuildNanos = System.nanoTime();
        }
    }

    private Set<String> loggedIgnored = Set.of();

    private void report(RoutingTable table, List<ParsedSource> parsed, long nanos) {
        Set<String> now = new HashSet<>();
        for (Rejection r : table.rejections()) {
            String line = r.describe();
            now.add(line);
            if (!loggedRejections.contains(line)) {
                log.warn("rejected: {}", line);
            }
        }
        loggedRejections = now;
        // Once per change, not per rebuild: documents of kinds the gateway does not read. A
        // security policy that is not enforced here is a warning.
        Set<String> ignoredNow = new HashSet<>();
        for (ParsedSource p : parsed) {
            for (String ignored : p.ignored()) {
                ignoredNow.add(ignored);
                if (!loggedIgnored.contains(ignored)) {
                    if (ignored.contains("NOT enforced")) {
                        log.warn("ignored: {}", ignored);
                    } else {
                        log.info("ignored: {}", ignored);
                    }
                }
            }
        }
        loggedIgnored = ignoredNow;
        ConfigSnapshot s = table.snapshot();
        log.info("routing table v{} installed in {} ms: {} gateways, {} virtual services, {} destination rules, "
                        + "{} service entries, {} workload entries, {} clusters; {} rejected, {} warnings",
                table.version(), TimeUnit.NANOSECONDS.toMillis(nanos), s.gateways().size(), s.virtualServices().size(),
                s.destinationRules().size(), s.serviceEntries().size(), s.workloadEntries().size(),
                table.clusters().size(), table.rejections().size(), table.warnings().size());
        for (RoutingTable.Listener l : table.listeners()) {
            if (l.problem() != null) {
                log.warn("listener {}: {} (every request answers 404 NR)", l.spec(), l.problem());
            }
        }
        Set<String> warnings = new HashSet<>(table.warnings());
        for (String w : table.warnings()) {
            if (!loggedWarnings.contains(w)) {
                log.warn("{}", w);
            }
        }
        loggedWarnings = warnings;
    }

    @Override
    public void close() {
        source.close();
        thread.shutdownNow();
    }
}
