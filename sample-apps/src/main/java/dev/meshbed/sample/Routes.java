package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Pattern;

/** Decides what each path answers. */
final class Routes {

    static final long MAX_BYTES = 10L << 30;
    private static final Pattern DIGITS = Pattern.compile("\\d{1,12}");

    private final JsonBodies json;

    Routes(AppIdentity identity) {
        this.json = new JsonBodies(identity);
    }

    ResponsePlan plan(ReceivedRequest request) {
        String path = request.path();
        if (path.equals("/healthz")) {
            // Probes must not fail or slow down because of the faults this app is asked to inject.
            return new ResponsePlan(HttpResponseStatus.OK, ResponseBody.text("ok"), Map.of(), false);
        }
        if (path.startsWith("/bytes/")) {
            return bytes(request, path.substring("/bytes/".length()));
        }
        if (path.startsWith("/status/")) {
            return status(request, path.substring("/status/".length()));
        }
        return ResponsePlan.of(HttpResponseStatus.OK, json.echo(request));
    }

    /** The 503 that replaces a response when the error rate strikes. */
    ResponsePlan injectedFailure(double errorRate) {
        String rate = BigDecimal.valueOf(errorRate).stripTrailingZeros().toPlainString();
        return ResponsePlan.of(HttpResponseStatus.SERVICE_UNAVAILABLE,
                json.error("injected failure (error rate " + rate + ")"));
    }

    /** The answer to bytes that are not HTTP; {@code problem} says what the decoder choked on. */
    ResponsePlan badRequest(String problem) {
        return ResponsePlan.of(HttpResponseStatus.BAD_REQUEST, ResponseBody.text("bad request: " + problem + "\n"));
    }

    private ResponsePlan bytes(ReceivedRequest request, String count) {
        if (!request.method().equals("GET") && !request.isHead()) {
            return new ResponsePlan(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    json.error("method: " + request.method() + " (expected: GET or HEAD)"),
                    Map.of("allow", "GET, HEAD"), true);
        }
        long length = DIGITS.matcher(count).matches() ? Long.parseLong(count) : -1;
        if (length < 0 || length > MAX_BYTES) {
            return invalid("bytes: " + count + " (expected: 0-" + MAX_BYTES + ")");
        }
        return ResponsePlan.of(HttpResponseStatus.OK, new ResponseBody.Pattern(length));
    }

    private ResponsePlan status(ReceivedRequest request, String code) {
        int status = DIGITS.matcher(code).matches() && code.length() <= 3 ? Integer.parseInt(code) : -1;
        // 1xx are not final answers: a client would wait for the real one.
        if (status < 200 || status > 599) {
            return invalid("status: " + code + " (expected: 200-599)");
        }
        return ResponsePlan.of(HttpResponseStatus.valueOf(status), json.echo(request));
    }

    private ResponsePlan invalid(String message) {
        return ResponsePlan.of(HttpResponseStatus.BAD_REQUEST, json.error(message));
    }
}
