package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Why the edge answers a request itself instead of routing it: the status, the body, the flag for
 * the access log, and whether the connection must close after the answer (it must when the bytes
 * that follow can no longer be trusted to be the next request). Carried to {@link DownstreamHandler}
 * as the request's decoder failure; no stack trace.
 */
final class RequestRejection extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient HttpResponseStatus status;
    private final ResponseFlag flag;
    private final String body;
    private final boolean closeConnection;

    RequestRejection(HttpResponseStatus status, ResponseFlag flag, String body, boolean closeConnection) {
        super(requireNonNull(body, "body"), null, false, false);
        this.status = requireNonNull(status, "status");
        this.flag = requireNonNull(flag, "flag");
        this.body = body;
        this.closeConnection = closeConnection;
    }

    /** A request that breaks HTTP/1.1: 400 (or {@code status}), flag DPE, the connection closes. */
    static RequestRejection protocolError(HttpResponseStatus status, String problem) {
        String prefix = status.code() == 501 ? "not implemented: " : "bad request: ";
        return new RequestRejection(status, ResponseFlag.DPE, prefix + problem + "\n", true);
    }

    HttpResponseStatus status() {
        return status;
    }

    ResponseFlag flag() {
        return flag;
    }

    String body() {
        return body;
    }

    boolean closeConnection() {
        return closeConnection;
    }
}
