package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.HttpVersion;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request that has been read to its end, reduced to what the answer needs.
 *
 * @param uri       as received, query included
 * @param headers   lower-cased names in order of first appearance; repeated headers joined with ", "
 * @param keepAlive whether the client wants the connection kept after the response
 * @param bodyCrc32 CRC32 of the body, 0 for none
 */
record ReceivedRequest(String method, String uri, HttpVersion protocolVersion, boolean keepAlive,
        Map<String, String> headers, long bodyBytes, long bodyCrc32) {

    ReceivedRequest {
        requireNonNull(method, "method");
        requireNonNull(uri, "uri");
        requireNonNull(protocolVersion, "protocolVersion");
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(headers, "headers")));
    }

    /** The URI without its query. */
    String path() {
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    boolean isHead() {
        return method.equals("HEAD");
    }
}
