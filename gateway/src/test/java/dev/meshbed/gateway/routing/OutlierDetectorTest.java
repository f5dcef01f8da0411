package dev.meshbed.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Envoy's consecutive-error outlier detection on a clock the test moves. */
class OutlierDetectorTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final CountingStats stats = new CountingStats();

    private static List<Endpoint> endpoints(int n) {
        List<Endpoint> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Endpoint(new InetSocketAddress(InetAddress.getLoopbackAddress(), 10_000 + i), Map.of(),
                    "test"));
        }
        return out;
    }

    private OutlierDetector detector(OutlierPolicy policy, List<Endpoint> eps) {
        return new OutlierDetector(policy, eps, stats, now::get);
    }

    private static OutlierPolicy policy(int c5xx, int cGateway, int maxPercent, int minHealth) {
        return new OutlierPolicy(c5xx, cGateway, 10_000, 30_000, 300_000, maxPercent, minHealth);
    }

    private void advance(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    private static void report(OutlierDetector d, Endpoint e, int status, int times) {
        for (int i = 0; i < times; i++) {
            d.report(e, status);
        }
    }

    @Test
    void fiveConsecutive5xxEjectAndASuccessInBetweenResetsTheCount() {
        List<Endpoint> eps = endpoints(2);
        OutlierDetector d = detector(policy(5, 0, 100, 0), eps);
        report(d, eps.get(0), 500, 4);
        d.report(eps.get(0), 200);
        report(d, eps.get(0), 500, 4);
        assertThat(d.isEjected(eps.get(0))).isFalse();
        assertThat(d.available()).containsExactly(eps.get(0), eps.get(1));

        d.report(eps.get(0), 500);
        assertThat(d.isEjected(eps.get(0))).isTrue();
        assertThat(d.available()).containsExactly(eps.get(1));
        assertThat(stats.enforced).containsExactly("consecutive_5xx");
        assertThat(stats.active).isEqualTo(1);
    }

    @Test
    void theIntervalSweepReturnsAnEndpointOnceItsTimeIsServedAndEachEjectionLastsLonger() {
        List<Endpoint> eps = endpoints(2);
        OutlierDetector d = detector(policy(5, 0, 100, 0), eps);
        advance(1_000); // sweeps fall at 10 s, 20 s, 30 s, 40 s after creation
        report(d, eps.get(0), 503, 5);
        assertThat(d.isEjected(eps.get(0))).isTrue();

        advance(29_500); // 30.5 s: the sweep at 30 s came before 30 s of ejection were served
        assertThat(d.available()).containsExactly(eps.get(1));
        advance(9_000); // 39.5 s
        assertThat(d.available()).containsExactly(eps.get(1));
        advance(1_000); // 40.5 s: the sweep at 40 s returns it
        assertThat(d.available()).containsExactly(eps.get(0), eps.get(1));
        assertThat(stats.active).isZero();

        // ejected again at once: 2 x 30 s now
        report(d, eps.get(0), 503, 5);
        assertThat(d.isEjected(eps.get(0))).isTrue();
        advance(55_000);
        assertThat(d.available()).containsExactly(eps.get(1));
        advance(10_000);
        assertThat(d.available()).containsExactly(eps.get(0), eps.get(1));
        assertThat(d.states().get(0).ejections()).isEqualTo(2);
    }

    @Test
    void theMultiplierComesDownWhileTheEndpointStaysInService() {
        List<Endpoint> eps = endpoints(2);
        OutlierDetector d = detector(policy(1, 0, 100, 0), eps);
        d.report(eps.get(0), 500);
        advance(40_000);
        d.available();
        assertThat(d.isEjected(eps.get(0))).isFalse();
        assertThat(d.states().get(0).multiplier()).isEqualTo(1);
        advance(30_000); // a base ejection time in service
        d.available();
        assertThat(d.states().get(0).multiplier()).isZero();
    }

    @Test
    void ejectionTimeIsCappedAtMaxEjectionTime() {
        List<Endpoint> eps = endpoints(2);
        OutlierDetector d = new OutlierDetector(new OutlierPolicy(1, 0, 1_000, 30_000, 60_000, 100, 0), eps, stats,
                now::get);
        for (int i = 0; i < 4; i++) {
            d.report(eps.get(0), 500);
            advance(61_000);
            d.available();
            assertThat(d.isEjected(eps.get(0))).as("ejection %d over after 61 s", i + 1).isFalse();
        }
    }

    @Test
    void gatewayErrorsCountOnlyWhenAskedForAndOther5xxBreakTheirRun() {
        List<Endpoint> eps = endpoints(2);
        OutlierDetector d = detector(policy(0, 3, 100, 0), eps);
        report(d, eps.get(0), 500, 10); // not a gateway error; consecutive5xx is off
        assertThat(d.isEjected(eps.get(0))).isFalse();
        report(d, eps.get(0), 502, 2);
        d.report(eps.get(0), 500);
        report(d, eps.get(0), 504, 2);
        assertThat(d.isEjected(eps.get(0))).isFalse();
        d.report(eps.get(0), OutlierDetector.LOCAL_CONNECT_FAILURE);
        assertThat(d.isEjected(eps.get(0))).isTrue();
        assertThat(stats.enforced).containsExactly("consecutive_gateway_failure");
    }

    @Test
    void maxEjectionPercentStopsFurtherEjectionsButOneIsAlwaysAllowed() {
        List<Endpoint> eps = endpoints(2);
        OutlierDetector d = detector(policy(1, 0, 10, 0), eps);
        d.report(eps.get(0), 500); // 50 % > 10 %, but Envoy ejects at least one
        d.report(eps.get(1), 500);
        assertThat(d.isEjected(eps.get(0))).isTrue();
        assertThat(d.isEjected(eps.get(1))).isFalse();
        assertThat(stats.overflow).isEqualTo(1);

        List<Endpoint> ten = endpoints(10);
        OutlierDetector d2 = detector(policy(1, 0, 20, 0), ten);
        for (Endpoint e : ten) {
            d2.report(e, 500);
        }
        assertThat(d2.ejectedCount()).isEqualTo(2);
    }

    @Test
    void allEjectedMeansNoHealthyUpstreamUnlessMinHealthPercentPanics() {
        List<Endpoint> eps = endpoints(2);
        OutlierDetector d = detector(policy(1, 0, 100, 0), eps);
        d.report(eps.get(0), 500);
        d.report(eps.get(1), 500);
        assertThat(d.available()).isEmpty();

        OutlierDetector panicky = detector(policy(1, 0, 100, 60), eps);
        panicky.report(eps.get(0), 500);
        // 50 % healthy < 60 %: Envoy's panic mode balances over all of them
        assertThat(panicky.available()).containsExactly(eps.get(0), eps.get(1));
        OutlierDetector calm = detector(policy(1, 0, 100, 50), eps);
        calm.report(eps.get(0), 500);
        assertThat(calm.available()).containsExactly(eps.get(1));
    }

    @Test
    void aClusterPicksOnlyEndpointsInServiceAndAnswersNoneWhenAllAreEjected() {
        List<Endpoint> eps = endpoints(2);
        Cluster c = Cluster.of("app", 80, null, eps, new LoadBalancers.RoundRobin(), 1000, stats,
                ConnectionLimits.DEFAULTS, null, policy(2, 0, 100, 0));
        RoutingFixtures.RecordingContext ctx = new RoutingFixtures.RecordingContext();
        RequestView req = RoutingFixtures.get("app", "/");
        c.reportAttempt(eps.get(1), 503);
        c.reportAttempt(eps.get(1), 503);
        for (int i = 0; i < 10; i++) {
            assertThat(c.pick(req, ctx)).isSameAs(eps.get(0));
        }
        c.reportAttempt(eps.get(0), 500);
        c.reportAttempt(eps.get(0), 500);
        assertThat(c.pick(req, ctx)).isNull();
    }

    @Test
    void concurrentFailuresFromSeveralLoopsEjectOnceAndLoseNoCount() throws Exception {
        List<Endpoint> eps = endpoints(2);
        int threads = 4;
        int each = 2_500;
        OutlierDetector d = detector(policy(threads * each, 0, 100, 0), eps);
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                report(d, eps.get(0), 500, each);
            });
            th.start();
            ts.add(th);
        }
        start.countDown();
        for (Thread th : ts) {
            th.join();
        }
        // exactly the threshold was reached: one ejection, no more and none lost
        assertThat(d.isEjected(eps.get(0))).isTrue();
        assertThat(stats.enforced).containsExactly("consecutive_5xx");
    }

    /** Counts what the detector reports. */
    static final class CountingStats implements ClusterStats {
        final List<String> enforced = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AtomicInteger overflowCount = new AtomicInteger();
        volatile int overflow;
        volatile int active;

        @Override
        public void response(int status, long durationNanos) {
        }

        @Override
        public void connectFailure() {
        }

        @Override
        public void timeout() {
        }

        @Override
        public void outlierEjectionEnforced(String type) {
            enforced.add(type);
        }

        @Override
        public void outlierEjectionOverflow() {
            overflow = overflowCount.incrementAndGet();
        }

        @Override
        public void outlierEjectionsActive(int n) {
            active = n;
        }
    }
}
