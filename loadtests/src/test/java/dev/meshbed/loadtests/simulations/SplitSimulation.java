package dev.meshbed.loadtests.simulations;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.responseTimeInMillis;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import dev.meshbed.loadtests.LoadSettings;
import dev.meshbed.loadtests.LoadTestException;
import dev.meshbed.loadtests.RunFolder;
import dev.meshbed.loadtests.VersionTally;
import dev.meshbed.loadtests.expect.ExpectedSplit;
import dev.meshbed.loadtests.target.Preflight;
import dev.meshbed.loadtests.verdict.SplitVerdict;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * What every split scenario shares: the preflight, the load (one request per virtual user,
 * open or closed model, keep-alive or new connections), a report row per version, and a last
 * one-user scenario that judges the split, writes the verdict beside the report and logs a
 * {@code split verdict} row that the assertions read. A failed verdict therefore fails the run
 * (Gatling's exit code) with the verdict as the message.
 */
abstract class SplitSimulation extends Simulation {

    static final String VERDICT_ROW = "split verdict";
    static final String ROW_PREFIX = "x-version=";

    /** A verdict, ready to log and write: {@code json} and {@code line} take the report's path. */
    record Judgement(boolean pass, String reason, java.util.function.Function<String, String> json,
            java.util.function.Function<String, String> line) {
    }

    protected final LoadSettings settings;
    protected final VersionTally tally = new VersionTally();
    protected final LongAdder failed = new LongAdder();
    private final long constructedAt = System.currentTimeMillis();
    protected volatile long loadStartMillis;
    protected volatile long loadEndMillis;

    SplitSimulation(Duration defaultDuration, LoadSettings.Connections defaultConnections) {
        settings = guard(() -> LoadSettings.fromSystemProperties(defaultDuration, defaultConnections));
    }

    /** Runs {@code step}; a problem found before the load becomes one clear line, and the run stops. */
    static <T> T guard(Supplier<T> step) {
        try {
            return step.get();
        } catch (LoadTestException e) {
            System.err.println();
            System.err.println("loadtest: " + e.getMessage());
            System.err.println("loadtest: nothing was sent; no report.");
            System.err.flush();
            throw e;
        }
    }

    /** Checks the target, prints the run's header, and sets the simulation up. */
    protected void start(String target, String how, ExpectedSplit expected, ExpectedSplit probeSplit,
            Supplier<Judgement> judge, PopulationBuilder... alongside) {
        Map<String, Integer> seen = guard(() -> Preflight.check(target, settings.path(), probeSplit));
        String name = getClass().getSimpleName();
        System.out.println();
        System.out.println(name + ": " + target + settings.path() + " (" + how + ")");
        System.out.println("  expected: " + expected.describe());
        System.out.println("  load: " + settings.describeLoad() + "; preflight: " + seen);

        HttpProtocolBuilder protocol = http.baseUrl(target)
                .disableWarmUp() // the preflight warmed the path; the default warm-up calls an outside address
                .disableCaching()
                .acceptHeader("application/json");
        protocol = settings.connections() == LoadSettings.Connections.KEEPALIVE
                ? protocol.shareConnections()
                : protocol.connectionHeader("close");

        ScenarioBuilder load = scenario("load")
                .exec(http("request").get(settings.path()).silent()
                        .check(status().saveAs("status"), header("x-version").optional().saveAs("version"),
                                responseTimeInMillis().saveAs("rt")))
                .exec(new StatsRow((session, now) -> responseRow(session, now)));

        ScenarioBuilder verdict = scenario("verdict").exec(new StatsRow((session, now) -> {
            loadEndMillis = now;
            Judgement j = judge.get();
            Path folder = RunFolder.find(settings.results(), name, constructedAt).orElse(null);
            String report = folder == null ? null : folder.resolve("index.html").toString();
            String line = j.line().apply(report);
            if (folder != null) {
                RunFolder.writeVerdict(folder, j.json().apply(report), line);
            }
            System.out.println();
            System.out.println(line);
            return new StatsRow.Row(VERDICT_ROW, j.pass(), j.reason(), now, now);
        }));

        PopulationBuilder main = (settings.model() == LoadSettings.Model.OPEN
                ? load.injectOpen(constantUsersPerSec(settings.rate()).during(settings.duration()))
                : load.injectClosed(constantConcurrentUsers(settings.users()).during(settings.duration())))
                .andThen(verdict.injectOpen(atOnceUsers(1)));
        PopulationBuilder[] all = new PopulationBuilder[alongside.length + 1];
        all[0] = main;
        System.arraycopy(alongside, 0, all, 1, alongside.length);
        setUp(all).protocols(protocol).assertions(
                details(VERDICT_ROW).successfulRequests().count().is(1L),
                global().failedRequests().count().is(0L));
    }

    /** The split over the whole run against {@code expected}: EdgeSplit, DirectNodePort, Fallback. */
    protected Judgement splitJudgement(String target, ExpectedSplit expected, String note) {
        String name = getClass().getSimpleName();
        SplitVerdict v = SplitVerdict.evaluate(tally.counts(), expected.weights(), settings.confidence());
        String extra = note == null ? "" : " [" + note + "]";
        return new Judgement(v.pass(), v.reason() + String.format(java.util.Locale.ROOT, " (p=%.3g, max deviation %.1f points)",
                v.pValue(), v.maxDeviationPoints()),
                report -> v.toJson(name, target + extra, report), report -> v.line(name, target + extra, report));
    }

    @Override
    public void before() {
        loadStartMillis = System.currentTimeMillis();
    }

    private StatsRow.Row responseRow(io.gatling.javaapi.core.Session s, long now) {
        String version = s.contains("version") ? s.getString("version") : null;
        Integer status = s.contains("status") ? s.getInt("status") : null;
        long rt = s.contains("rt") ? s.getInt("rt") : 0;
        tally.record(status != null && status == 200 ? version : null, now);
        if (status == null) {
            failed.increment();
            return new StatsRow.Row("failed: no response", false, "no response (refused, reset or timed out)", now, now);
        }
        if (status != 200) {
            failed.increment();
            return new StatsRow.Row("failed: HTTP " + status, false, "HTTP " + status, now - rt, now);
        }
        if (version == null) {
            failed.increment();
            return new StatsRow.Row("failed: no x-version", false, "a 200 without x-version", now - rt, now);
        }
        return new StatsRow.Row(ROW_PREFIX + version, true, null, now - rt, now);
    }
}
