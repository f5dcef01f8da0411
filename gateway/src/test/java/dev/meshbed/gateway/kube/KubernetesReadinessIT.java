package dev.meshbed.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * /healthz/ready in cluster mode: 503 until every informer has synced and the first table is in,
 * 200 after, and by then the table holds everything (a gateway that turned ready before its Pod
 * informer synced would route with unlabelled endpoints: 503 UH for every subset).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KubernetesReadinessIT {

    private static final Duration POD_LIST_DELAY = Duration.ofMillis(1500);

    @TempDir
    Path work;

    /** One poll of /healthz/ready: when (ms after the gateway started), the status, and the table version. */
    private record Poll(long millis, int status, String body) {
    }

    @Test
    void notReadyUntilTheSlowestInformerSynced() throws Exception {
        try (Canary c = Canary.create()) {
            // the first LIST of Pods (not the watch) is answered 1.5 s late; the other kinds at once
            c.cluster.delay(r -> r.getPath().startsWith("/api/v1/pods?") && !r.getPath().contains("watch=true"),
                    POD_LIST_DELAY, 1);
            long start = System.nanoTime();
            KubeGateway g = c.startGateway(List.of(), KubeGateway.INGRESS_LABELS, work);
            List<Poll> polls = pollUntilReady(g, start);
            Poll first = polls.get(0);
            Poll ready = polls.get(polls.size() - 1);
            // at once, on the first table: the canary route with labelled endpoints
            Http1.Response r = g.get("/first", Canary.HOST);
            System.out.printf("cluster mode readiness, Pod list delayed %d ms: %d polls answered 503, ready after %d ms%n",
                    POD_LIST_DELAY.toMillis(), polls.size() - 1, ready.millis());

            assertThat(first.status()).as("/healthz/ready right after start: %s", first).isEqualTo(503);
            assertThat(first.body()).as("the 503's body").contains("not ready");
            assertThat(ready.millis()).as("time to ready (ms) with the Pod list delayed %d ms", POD_LIST_DELAY.toMillis())
                    .isGreaterThanOrEqualTo(POD_LIST_DELAY.toMillis());
            assertThat(polls.subList(0, polls.size() - 1)).as("every poll before ready")
                    .allSatisfy(p -> assertThat(p.status()).isEqualTo(503));
            assertThat(r.outcome()).as("the first request once ready (the Pods' labels must be known)").isIn("v1", "v2");
            assertThat(g.configDump().path("version").asLong()).as("table version once ready").isEqualTo(1);
        }
    }

    /**
     * The API server is not there when the gateway starts (a gateway pod starting before the API
     * server answers): not ready, no crash; once the API server answers, the informers sync and the
     * gateway turns ready with the full table. (While the test writes the scene into the new API
     * server, its reads are refused, see {@link Canary#create(int)}: informers reflect whatever the
     * API server holds when they list, and a half-written scene would be a test artefact.)
     */
    @Test
    void notReadyWhileTheApiServerIsDownReadyOnceItAnswers() throws Exception {
        int apiPort;
        try (ServerSocket s = new ServerSocket(0)) {
            apiPort = s.getLocalPort();
        }
        KubernetesClient client = MockCluster.clientFor("http://127.0.0.1:" + apiPort);
        KubeGateway g = null;
        try {
            long start = System.nanoTime();
            g = KubeGateway.start(client, List.of(), KubeGateway.INGRESS_LABELS, work);
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            int polls = 0;
            while (System.nanoTime() < until) {
                assertThat(g.status("/healthz/ready").statusCode()).as("/healthz/ready without an API server")
                        .isEqualTo(503);
                polls++;
                Thread.sleep(50);
            }
            try (Canary c = Canary.create(apiPort)) {
                long apiUp = System.nanoTime();
                List<Poll> after = pollUntilReady(g, apiUp);
                long readyMillis = after.get(after.size() - 1).millis();
                assertThat(after.subList(0, after.size() - 1)).as("polls before ready")
                        .allSatisfy(p -> assertThat(p.status()).isEqualTo(503));
                System.out.printf("cluster mode readiness, API server down for %d ms after the start: %d polls "
                                + "answered 503; ready %d ms after the API server came up%n",
                        TimeUnit.NANOSECONDS.toMillis(apiUp - start), polls, readyMillis);
                assertThat(g.get("/after-outage", Canary.HOST).outcome()).as("first request once ready")
                        .isIn("v1", "v2");
            }
        } finally {
            if (g != null) {
                g.close();
            }
            client.close();
        }
    }

    /**
     * One informer cannot list (403 Forbidden for WorkloadEntries, as a Role without that resource
     * would give): the gateway must not serve a partial view, so it stays not ready; once the list
     * is allowed, the informer's retry syncs it and the gateway turns ready.
     */
    @Test
    void notReadyWhileOneKindCannotBeListed() throws Exception {
        try (Canary c = Canary.create()) {
            c.cluster.forbid(r -> r.getPath().startsWith("/apis/networking.istio.io/v1/workloadentries"));
            long start = System.nanoTime();
            KubeGateway g = c.startGateway(List.of(), KubeGateway.INGRESS_LABELS, work);
            long until = start + TimeUnit.MILLISECONDS.toNanos(1500);
            while (System.nanoTime() < until) {
                assertThat(g.status("/healthz/ready").statusCode()).as("/healthz/ready while WorkloadEntries are forbidden")
                        .isEqualTo(503);
                Thread.sleep(50);
            }
            c.cluster.forbid(r -> false);
            long allowed = System.nanoTime();
            List<Poll> polls = pollUntilReady(g, allowed);
            System.out.printf("cluster mode readiness, WorkloadEntries forbidden for 1.5 s: ready %d ms after they "
                    + "were allowed%n", polls.get(polls.size() - 1).millis());
            assertThat(g.get("/allowed", Canary.HOST).outcome()).as("first request once ready").isIn("v1", "v2");
        }
    }

    /** Polls /healthz/ready every 10 ms until 200 (at most 20 s); every poll, the 200 last. */
    private static List<Poll> pollUntilReady(KubeGateway g, long startNanos) throws Exception {
        List<Poll> polls = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = g.status("/healthz/ready");
            polls.add(new Poll(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), r.statusCode(), r.body()));
            if (r.statusCode() == 200) {
                return polls;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("not ready after 20 s; last polls: "
                + polls.subList(Math.max(0, polls.size() - 3), polls.size()));
    }
}
