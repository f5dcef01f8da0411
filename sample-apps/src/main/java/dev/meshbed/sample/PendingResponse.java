package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.HttpVersion;

/**
 * A response as it will go out on its connection.
 *
 * @param headRequest whether it answers HEAD, and so carries no body
 * @param keepAlive   whether the connection stays open after it
 */
record PendingResponse(ResponsePlan plan, HttpVersion protocolVersion, boolean headRequest, boolean keepAlive) {

    PendingResponse {
        requireNonNull(plan, "plan");
        requireNonNull(protocolVersion, "protocolVersion");
    }

    static PendingResponse answering(ReceivedRequest request, ResponsePlan plan) {
        return answering(request, plan, request.keepAlive());
    }

    /** @param keepAlive false to end the connection after it (the request asked, or the server drains) */
    static PendingResponse answering(ReceivedRequest request, ResponsePlan plan, boolean keepAlive) {
        return new PendingResponse(plan, request.protocolVersion(), request.isHead(), keepAlive);
    }

    /** The last response on a connection whose request could not be read. */
    static PendingResponse closing(ResponsePlan plan) {
        return new PendingResponse(plan, HttpVersion.HTTP_1_1, false, false);
    }
}
