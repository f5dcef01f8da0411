package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Traffic mirroring through the real gateway: v1 answers, a copy goes to a recording upstream
 * with Host {@code <authority>-shadow}; a mirror nobody listens for changes nothing for the client.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MirrorIT {

    @TempDir
    static Path work;

    private RecordingUpstream recorder;
    private LocalTestbed bed;

    @BeforeAll
    void start() throws Exception {
        recorder = new RecordingUpstream();
        bed = LocalTestbed.builder(work)
                .file("mirror-workloads.yaml", """
                        apiVersion: networking.istio.io/v1
                        kind: WorkloadEntry
                        metadata: {name: app-recorder, namespace: default}
                        spec:
                          address: 127.0.0.1
                          ports: {http: %d}
                          labels: {app: app, version: recorder}
                        ---
                        apiVersion: networking.istio.io/v1
                        kind: WorkloadEntry
                        metadata: {name: app-dead, namespace: default}
                        spec:
                          address: 127.0.0.1
                          ports: {http: ${dead.port}}
                          labels: {app: app, version: dead}
                        """.formatted(recorder.port()))
                .file("destination-rule.yaml", """
                        apiVersion: networking.istio.io/v1
                        kind: DestinationRule
                        metadata: {name: app, namespace: default}
                        spec:
                          host: app
                          subsets:
                          - {name: v1, labels: {version: v1}}
                          - {name: recorder, labels: {version: recorder}}
                          - {name: dead, labels: {version: dead}}
                        """)
                .file("virtual-service.yaml", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata: {name: app, namespace: default}
                        spec:
                          hosts: ["*"]
                          gateways: [meshbed-gateway]
                          http:
                          - name: to-dead
                            match: [{uri: {prefix: /dead/}}]
                            route: [{destination: {host: app, subset: v1}}]
                            mirrors:
                            - destination: {host: app, subset: dead}
                          - name: mirrored
                            route: [{destination: {host: app, subset: v1}}]
                            mirror: {host: app, subset: recorder}
                            mirrorPercentage: {value: 100.0}
                        """)
                .start();
        JsonNode dump = bed.awaitDump("the mirror routes", d -> d.toString().contains("request_mirror_policies"));
        assertThat(dump.path("rejected")).as("rejected resources").isEmpty();
    }

    @AfterAll
    void stop() throws Exception {
        if (bed != null) {
            bed.close();
        }
        if (recorder != null) {
            recorder.close();
        }
    }

    @Test
    void aCopyGoesToTheMirrorWithTheShadowAuthority() throws Exception {
        String uri = "/copy/" + UUID.randomUUID();
        HttpResponse<String> r = bed.get(uri);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-version")).as("the answer is v1's").hasValue("v1");
        List<RecordingUpstream.Received> copies = await("the mirrored copy").atMost(Duration.ofSeconds(5))
                .until(() -> recorder.receivedWith(uri), l -> !l.isEmpty());
        assertThat(copies).hasSize(1);
        assertThat(copies.get(0).headers().toLowerCase()).contains("host: 127.0.0.1-shadow:" + bed.port());
    }

    @Test
    void aBodyIsCopiedWhole() throws Exception {
        String uri = "/post/" + UUID.randomUUID();
        String body = "m".repeat(10_000);
        HttpResponse<String> r = bed.client().send(bed.request(uri).POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        List<RecordingUpstream.Received> copies = await("the mirrored POST").atMost(Duration.ofSeconds(5))
                .until(() -> recorder.receivedWith(uri), l -> !l.isEmpty());
        assertThat(copies.get(0).body()).isEqualTo(body);
        assertThat(copies.get(0).complete()).isTrue();
    }

    @Test
    void aMirrorNobodyListensForChangesNothing() throws Exception {
        for (int i = 0; i < 20; i++) {
            String uri = "/dead/" + UUID.randomUUID();
            HttpResponse<String> r = bed.get(uri);
            assertThat(r.statusCode()).as("GET %s while its mirror's port is closed", uri).isEqualTo(200);
            assertThat(bed.awaitAccessLog(uri).flag()).isEqualTo("-");
        }
    }
}
