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
        return new PendingResponse(plan, request.protocolVersion(), request.isHead(), request.keepAlive());
    }

    /** The last response on a connection whose request could not be read. */
    static PendingResponse closing(ResponsePlan plan) {
        return new PendingResponse(plan, HttpVersion.HTTP_1_1, false, false);
    }
}
