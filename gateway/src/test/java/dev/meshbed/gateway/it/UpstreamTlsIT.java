package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meshbed.gateway.testing.TestCertificates;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DestinationRule {@code tls} to a real HTTPS upstream: SIMPLE with the right CA passes and
 * sends the SNI asked for; the wrong CA, or a name the certificate does not carry, is 503 UF with
 * the TLS reason in the body, as Envoy answers; ISTIO_MUTUAL is never sent as plaintext.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamTlsIT {

    @TempDir
    static Path work;

    private LocalTestbed bed;
    private TlsUpstream upstream;
    private TlsUpstream mutualUpstream;
    private java.net.ServerSocket silent; // accepts, never answers the TLS handshake
    private final java.util.List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    void start() throws Exception {
        Path certs = work.resolve("certs");
        TestCertificates.Issued ca = TestCertificates.ca(certs, "ca");
        TestCertificates.Issued otherCa = TestCertificates.ca(certs, "other-ca");
        TestCertificates.Issued server = TestCertificates.leaf(certs, ca, "server", "secure.app.test");
        upstream = new TlsUpstream(server.certificateFile(), server.keyFile());
        TestCertificates.Issued client = TestCertificates.leaf(certs, ca, "gateway-client", "gateway.test");
        mutualUpstream = new TlsUpstream(server.certificateFile(), server.keyFile(), ca.certificateFile());
        silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!silent.isClosed()) {
                try {
                    held.add(silent.accept());
                } catch (java.io.IOException e) {
                    return;
                }
            }
        }, "silent-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
        String workloads = """
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: app-tls, namespace: default}
                spec:
                  address: 127.0.0.1
                  ports: {http: %d}
                  labels: {app: app, version: tls}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: app-mtls, namespace: default}
                spec:
                  address: 127.0.0.1
                  ports: {http: %d}
                  labels: {app: app, version: mtls}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: app-silent, namespace: default}
                spec:
                  address: 127.0.0.1
                  ports: {http: %d}
                  labels: {app: app, version: silent}
                """.formatted(upstream.port(), mutualUpstream.port(), silent.getLocalPort());
        String rule = """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: app, namespace: default}
                spec:
                  host: app
                  subsets:
                  - {name: v1, labels: {version: v1}}
                  - {name: v2, labels: {version: v2}}
                  - name: good
                    labels: {version: tls}
                    trafficPolicy:
                      tls: {mode: SIMPLE, caCertificates: %1$s, sni: secure.app.test}
                  - name: wrongca
                    labels: {version: tls}
                    trafficPolicy:
                      tls: {mode: SIMPLE, caCertificates: %2$s, sni: secure.app.test}
                  - name: wrongname
                    labels: {version: tls}
                    trafficPolicy:
                      tls: {mode: SIMPLE, caCertificates: %1$s, sni: other.app.test}
                  - name: bysan
                    labels: {version: tls}
                    trafficPolicy:
                      tls: {mode: SIMPLE, caCertificates: %1$s, sni: other.app.test, subjectAltNames: [secure.app.test]}
                  - name: skipverify
                    labels: {version: tls}
                    trafficPolicy:
                      tls: {mode: SIMPLE, insecureSkipVerify: true, sni: whatever.test}
                  - name: mutual
                    labels: {version: mtls}
                    trafficPolicy:
                      tls: {mode: MUTUAL, caCertificates: %1$s, sni: secure.app.test, clientCertificate: %3$s,
                            privateKey: %4$s}
                  - name: nocert
                    labels: {version: mtls}
                    trafficPolicy:
                      tls: {mode: SIMPLE, caCertificates: %1$s, sni: secure.app.test}
                  - name: silent
                    labels: {version: silent}
                    trafficPolicy:
                      connectionPool: {tcp: {connectTimeout: 300ms}}
                      tls: {mode: SIMPLE, caCertificates: %1$s, sni: secure.app.test}
                  - name: mesh
                    labels: {version: tls}
                    trafficPolicy:
                      tls: {mode: ISTIO_MUTUAL}
                """.formatted(ca.certificateFile(), otherCa.certificateFile(), client.certificateFile(),
                client.keyFile());
        StringBuilder routes = new StringBuilder("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: app, namespace: default}
                spec:
                  hosts: ["*"]
                  gateways: [meshbed-gateway]
                  http:
                """);
        for (String subset : new String[] {"good", "wrongca", "wrongname", "bysan", "skipverify", "mutual", "nocert", "silent", "mesh"}) {
            routes.append("""
                      - match: [{uri: {prefix: /%1$s/}}]
                        route: [{destination: {host: app, subset: %1$s}}]
                    """.formatted(subset));
        }
        bed = LocalTestbed.builder(work)
                .file("tls-workload.yaml", workloads)
                .file("destination-rule.yaml", rule)
                .file("virtual-service.yaml", routes.toString())
                .start();
        JsonNode dump = bed.awaitDump("the TLS clusters", d -> d.toString().contains("outbound|80|mesh|"));
        assertThat(dump.path("rejected")).as("rejected resources").isEmpty();
    }

    @AfterAll
    void stop() {
        if (bed != null) {
            bed.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (mutualUpstream != null) {
            mutualUpstream.close();
        }
        try {
            if (silent != null) {
                silent.close();
            }
            for (java.net.Socket s : held) {
                s.close();
            }
        } catch (java.io.IOException e) {
            // closing anyway
        }
    }

    @Test
    void simpleWithTheRightCaReachesTheUpstreamWithTheSniAskedFor() throws Exception {
        HttpResponse<String> r = bed.get("/good/" + UUID.randomUUID());
        assertThat(r.statusCode()).as("body: %s", r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("tls sni=secure.app.test");
        assertThat(upstream.sniSeen()).contains("secure.app.test");
        assertThat(bed.get("/good/again").body()).isEqualTo("tls sni=secure.app.test");
    }

    @Test
    void theWrongCaIs503UfWithTheTlsReason() throws Exception {
        String uri = "/wrongca/" + UUID.randomUUID();
        HttpResponse<String> r = bed.get(uri);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).startsWith("upstream connect error or disconnect/reset before headers. reset reason: "
                + "connection failure, transport failure reason: TLS error: ");
        assertThat(r.body()).containsIgnoringCase("certification path");
        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.flag()).as("a failed handshake is a connect failure: retried under Istio's default policy, then URX")
                .isEqualTo("UF,URX");
    }

    @Test
    void aNameTheCertificateDoesNotCarryIs503Uf() throws Exception {
        HttpResponse<String> r = bed.get("/wrongname/" + UUID.randomUUID());
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("TLS error: CERTIFICATE_VERIFY_FAILED")
                .contains("secure.app.test").contains("other.app.test");
    }

    @Test
    void subjectAltNamesAreCheckedInsteadOfTheSni() throws Exception {
        HttpResponse<String> r = bed.get("/bysan/" + UUID.randomUUID());
        assertThat(r.statusCode()).as("body: %s", r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("tls sni=other.app.test");
    }

    @Test
    void insecureSkipVerifyChecksNeitherTrustNorNames() throws Exception {
        HttpResponse<String> r = bed.get("/skipverify/" + UUID.randomUUID());
        assertThat(r.statusCode()).as("body: %s", r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("tls sni=whatever.test");
    }

    @Test
    void mutualPresentsTheClientCertificateAndWithoutOneTheUpstreamRefuses() throws Exception {
        HttpResponse<String> r = bed.get("/mutual/" + UUID.randomUUID());
        assertThat(r.statusCode()).as("body: %s", r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("tls sni=secure.app.test client=CN=gateway-client");

        String uri = "/nocert/" + UUID.randomUUID();
        HttpResponse<String> refused = bed.get(uri);
        assertThat(refused.statusCode()).isEqualTo(503);
        // TLS 1.3: the server refuses the missing certificate after the client's handshake is done,
        // so the gateway sees the connection end before the response (UF, connection termination)
        assertThat(refused.body()).startsWith("upstream connect error or disconnect/reset before headers.");
        assertThat(bed.awaitAccessLog(uri).flag()).as("a reset is not in Istio's default retryOn").isEqualTo("UF");
    }

    @Test
    void aHandshakeThatNeverEndsIsBoundByTheConnectTimeout() throws Exception {
        String uri = "/silent/" + UUID.randomUUID();
        long start = System.nanoTime();
        HttpResponse<String> r = bed.get(uri);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("transport failure reason: TLS error: ").containsIgnoringCase("handshake timed out");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("answered after about 300 ms, not 10 s")
                .isLessThan(5_000);
        assertThat(bed.awaitAccessLog(uri).flag()).as("a failed handshake is a connect failure: retried under Istio's default policy, then URX")
                .isEqualTo("UF,URX");
    }

    @Test
    void istioMutualIsNotServedAndNeverPlaintext() throws Exception {
        String uri = "/mesh/" + UUID.randomUUID();
        HttpResponse<String> r = bed.get(uri);
        assertThat(r.statusCode()).isEqualTo(503);
        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.flag()).isEqualTo("NC");
        assertThat(line.upstreamHost()).as("no upstream was contacted: %s", line).isEqualTo("-");
        JsonNode dump = bed.configDump();
        assertThat(dump.path("warnings").toString()).contains("ISTIO_MUTUAL").contains("never as plaintext");
    }
}
