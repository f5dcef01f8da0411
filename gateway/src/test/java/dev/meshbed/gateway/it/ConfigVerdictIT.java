package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, part C, on the real gateway: a Gateway copied from workshop notes with
 * {@code apiVersion: nertowkring.istio.io/v1alpha3} used to be dropped without a word (0
 * gateways, every request 404 NR). Now it is rejected with a did-you-mean that /config_dump
 * shows, and documents of kinds the gateway does not read are listed there as ignored.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConfigVerdictIT {

    @TempDir
    Path work;

    @Test
    void aMistypedGatewayGroupIsRejectedAndOtherKindsAreListedAsIgnored() throws Exception {
        try (LocalTestbed bed = LocalTestbed.builder(work).start()) {
            assertThat(bed.get("/").statusCode()).as("served before the typo").isEqualTo(200);
            long version = bed.configDump().path("version").asLong();
            bed.writeConfig("gateway.yaml", """
                    apiVersion: nertowkring.istio.io/v1alpha3
                    kind: Gateway
                    metadata:
                      name: workshop-gateway
                    spec:
                      selector: {istio: ingressgateway}
                      servers:
                      - port: {number: 80, name: http, protocol: HTTP}
                        hosts: ["*"]
                    ---
                    apiVersion: security.istio.io/v1
                    kind: PeerAuthentication
                    metadata: {name: default}
                    spec: {mtls: {mode: STRICT}}
                    """);
            JsonNode dump = bed.awaitDump("the table with the mistyped Gateway",
                    d -> d.path("version").asLong() > version && d.path("rejected").toString().contains("workshop-gateway"));
            List<String> rejected = texts(dump.path("rejected"), "text");
            assertThat(rejected).containsExactly("Gateway default/workshop-gateway (gateway.yaml:1): apiVersion:"
                    + " nertowkring.istio.io/v1alpha3 is not an API version of Gateway"
                    + " (did you mean \"networking.istio.io/v1alpha3\"?)");
            assertThat(texts(dump.path("ignored"), null)).containsExactly("security.istio.io/v1/PeerAuthentication"
                    + " default/default (gateway.yaml:11): kind PeerAuthentication is not read by this gateway:"
                    + " its policy is NOT enforced here");
            HttpResponse<String> response = bed.get("/");
            assertThat(response.statusCode()).as("no Gateway is applied: 404 NR").isEqualTo(404);
        }
    }

    private static List<String> texts(JsonNode array, String field) {
        return StreamSupport.stream(array.spliterator(), false)
                .map(n -> field == null ? n.asText() : n.path(field).asText()).toList();
    }
}
