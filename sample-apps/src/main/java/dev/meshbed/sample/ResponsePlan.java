package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/**
 * The answer to a request, before it is framed for the connection.
 *
 * @param headers   set on top of those every response gets
 * @param faultable whether the injected latency and error rate apply ({@code /healthz}: no)
 */
record ResponsePlan(HttpResponseStatus status, ResponseBody body, Map<String, String> headers, boolean faultable) {

    ResponsePlan {
        requireNonNull(status, "status");
        requireNonNull(body, "body");
        headers = Map.copyOf(requireNonNull(headers, "headers"));
    }

    static ResponsePlan of(HttpResponseStatus status, ResponseBody body) {
        return new ResponsePlan(status, body, Map.of(), true);
    }
}
