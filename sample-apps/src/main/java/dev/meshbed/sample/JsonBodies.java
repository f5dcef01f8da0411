package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.util.Map;

/** The JSON bodies of the sample app, each naming the version and instance that wrote it. */
final class JsonBodies {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final AppIdentity identity;

    JsonBodies(AppIdentity identity) {
        this.identity = requireNonNull(identity, "identity");
    }

    /** What the app saw of {@code request}: enough for a test to check what the gateway forwarded. */
    ResponseBody echo(ReceivedRequest request) {
        return ResponseBody.json(write(new Echo(identity.version(), identity.instance(), request.method(),
                request.uri(), request.headers(), request.bodyBytes(),
                String.format("%08x", request.bodyCrc32()))));
    }

    ResponseBody error(String message) {
        return ResponseBody.json(write(new Error(identity.version(), identity.instance(), message)));
    }

    private static byte[] write(Object body) {
        try {
            return MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write " + body.getClass().getSimpleName() + " as JSON", e);
        }
    }

    // Jackson writes record components in declaration order: this is the order clients see.
    private record Echo(String version, String instance, String method, String path,
            Map<String, String> headers, long bodyBytes, String bodyCrc32) {
    }

    private record Error(String version, String instance, String error) {
    }
}
