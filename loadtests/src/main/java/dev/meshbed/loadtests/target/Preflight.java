package dev.meshbed.loadtests.target;

import dev.meshbed.loadtests.LoadTestException;
import dev.meshbed.loadtests.expect.ExpectedSplit;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * A few requests before the load, so that a wrong target fails in one clear line instead of a
 * report full of errors: it must answer, with 200, with an {@code x-version} header, and only
 * from versions the expected split names.
 */
public final class Preflight {

    static final int PROBES = 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private Preflight() {
    }

    /** @return the versions the probes met, with counts */
    public static Map<String, Integer> check(String baseUrl, String path, ExpectedSplit expected) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create(baseUrl + path);
        Map<String, Integer> seen = new TreeMap<>();
        for (int i = 0; i < PROBES; i++) {
            HttpResponse<String> r;
            try {
                r = client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (HttpConnectTimeoutException e) {
                throw new LoadTestException(uri + " is unreachable: no connection within " + TIMEOUT.toSeconds() + " s");
            } catch (ConnectException e) {
                throw new LoadTestException(uri + " is unreachable: connection refused (is the testbed running? "
                        + "`make local` or `make up`, then `make status`)");
            } catch (HttpTimeoutException e) {
                throw new LoadTestException(uri + " accepted the connection but sent no answer within "
                        + TIMEOUT.toSeconds() + " s");
            } catch (IOException e) {
                throw new LoadTestException(uri + " did not answer HTTP: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LoadTestException("interrupted while probing " + uri);
            }
            if (r.statusCode() != 200) {
                throw new LoadTestException(uri + " answered HTTP " + r.statusCode() + ": "
                        + abbreviate(r.body()) + " (expected: 200 from v1 or v2)");
            }
            String version = r.headers().firstValue("x-version").orElse(null);
            if (version == null) {
                String server = r.headers().firstValue("server").map(s -> " (server: " + s + ")").orElse("");
                throw new LoadTestException(uri + " answers without an x-version header" + server
                        + ": it is not a meshbed gateway or sample app, so no split can be counted");
            }
            seen.merge(version, 1, Integer::sum);
        }
        for (String v : seen.keySet()) {
            if (!expected.weights().containsKey(v)) {
                throw new LoadTestException(uri + " answered from " + v + ", which the expected split does not name: "
                        + expected.describe() + "; give WEIGHTS= with every version that answers");
            }
        }
        return seen;
    }

    private static String abbreviate(String body) {
        String b = body == null ? "" : body.strip().replaceAll("\\s+", " ");
        return b.isEmpty() ? "(empty body)" : b.length() > 120 ? b.substring(0, 120) + "..." : b;
    }
}
