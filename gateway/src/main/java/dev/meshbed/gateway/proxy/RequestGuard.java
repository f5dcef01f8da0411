package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;
import java.util.Set;

/**
 * Holds each decoded request to HTTP/1.1 where Envoy is strict and Netty's decoder is lenient,
 * and normalises its path. Sits between the codec and {@link DownstreamHandler}; a request it
 * refuses goes on marked with a {@link RequestRejection} as its decoder failure, and the
 * downstream handler answers it. Request trailers are dropped here unless the policy forwards them.
 * Stateless, so one instance serves every connection; each request costs one pass over its target.
 *
 * <p>What Envoy answers, and so this does:
 * <ul>
 * <li>a method outside the HTTP/1 parser's list (case matters: {@code get} is not {@code GET}): 400, DPE;</li>
 * <li>a version other than HTTP/1.0 and HTTP/1.1: 400, DPE;</li>
 * <li>a control byte, a non-ASCII byte or {@code #} in the request target, or a target that is neither
 *     origin form, absolute form nor {@code *}: 400, DPE;</li>
 * <li>two Host headers, or a Host that is not an authority (a space in it): 400, DPE;</li>
 * <li>a Transfer-Encoding other than exactly {@code chunked}: 501, DPE;</li>
 * <li>CONNECT (no route here is configured for it, Envoy's {@code connect_matcher}): 404, NR;</li>
 * <li>a path that cannot be normalised ({@code %00}, a malformed escape): 400, no flag, the connection stays.</li>
 * </ul>
 * All but the last close the connection after the answer: what follows such a request on the
 * wire (a tunnel's bytes, a body framed in a way we did not read) is not the next request.
 */
@Sharable
final class RequestGuard extends ChannelInboundHandlerAdapter {

    /** The methods Envoy's HTTP/1 parsers accept (http-parser's list; Balsa's spells M-SEARCH as MSEARCH). */
    static final Set<String> METHODS = Set.of("ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD",
            "LINK", "LOCK", "M-SEARCH", "MSEARCH", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "NOTIFY",
            "OPTIONS", "PATCH", "POST", "PROPFIND", "PROPPATCH", "PURGE", "PUT", "REBIND", "REPORT", "SEARCH",
            "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE");

    private final RequestPolicy policy;

    RequestGuard(RequestPolicy policy) {
        this.policy = requireNonNull(policy, "policy");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            RequestRejection rejection = request.decoderResult().isSuccess() ? check(request)
                    : transferEncoding(request.headers()); // Netty refuses a bad one too, but with 400
            if (rejection != null) {
                request.setDecoderResult(DecoderResult.failure(rejection));
            }
            if (request.decoderResult().isFailure()) {
                request.headers().remove(HttpHeaderNames.EXPECT); // no 100 Continue for a request we refuse
            }
        }
        if (!policy.forwardTrailers() && msg instanceof LastHttpContent last && !last.trailingHeaders().isEmpty()) {
            last.trailingHeaders().clear();
        }
        ctx.fireChannelRead(msg);
    }

    /** Null if the request may be routed (its uri normalised in place), else why not. */
    RequestRejection check(HttpRequest request) {
        String method = request.method().name();
        if (!METHODS.contains(method)) {
            return RequestRejection.protocolError(HttpResponseStatus.BAD_REQUEST,
                    "method: " + printable(method) + " (expected: a known method in upper case, e.g. GET)");
        }
        HttpVersion version = request.protocolVersion();
        if (!HttpVersion.HTTP_1_1.equals(version) && !HttpVersion.HTTP_1_0.equals(version)) {
            return RequestRejection.protocolError(HttpResponseStatus.BAD_REQUEST,
                    "version: " + printable(version.text()) + " (expected: HTTP/1.0 or HTTP/1.1)");
        }
        String uri = request.uri();
        RequestRejection bad = checkTarget(request, uri);
        if (bad != null) {
            return bad;
        }
        HttpHeaders headers = request.headers();
        List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            return RequestRejection.protocolError(HttpResponseStatus.BAD_REQUEST,
                    "host: " + hosts.size() + " Host headers (expected: one)");
        }
        if (hosts.size() == 1 && !isAuthority(hosts.get(0))) {
            return RequestRejection.protocolError(HttpResponseStatus.BAD_REQUEST,
                    "host: \"" + printable(hosts.get(0)) + "\" (expected: host[:port])");
        }
        RequestRejection te = transferEncoding(headers);
        if (te != null) {
            return te;
        }
        if (HttpMethod.CONNECT.equals(request.method())) {
            // Envoy: no route has a connect_matcher, so none matches; the tunnel's bytes that may
            // follow the head are no request, so the connection closes after the answer.
            return new RequestRejection(HttpResponseStatus.NOT_FOUND, ResponseFlag.NR, "", true);
        }
        return normalizePath(request, uri);
    }

    /** Envoy knows one transfer coding, {@code chunked}, once: anything else is 501. */
    private static RequestRejection transferEncoding(HttpHeaders headers) {
        if (!headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return null;
        }
        List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!(codings.size() == 1 && codings.get(0).trim().equalsIgnoreCase("chunked"))) {
            return RequestRejection.protocolError(HttpResponseStatus.NOT_IMPLEMENTED,
                    "transfer-encoding: " + printable(String.join(", ", codings)) + " (expected: chunked)");
        }
        return null;
    }

    private static RequestRejection checkTarget(HttpRequest request, String uri) {
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                request.setUri(escapeBytes(uri)); // so the access log line holds no raw control byte
                return RequestRejection.protocolError(HttpResponseStatus.BAD_REQUEST, String.format(
                        "request target: %s byte 0x%02x at %d (expected: printable ASCII)",
                        c >= 0x80 ? "non-ASCII" : "control", (int) c, i));
            }
            if (c == '#') {
                return RequestRejection.protocolError(HttpResponseStatus.BAD_REQUEST,
                        "request target: '#' at " + i + " (expected: no fragment; clients keep it to themselves)");
            }
        }
        boolean connect = HttpMethod.CONNECT.equals(request.method());
        boolean ok = uri.startsWith("/") || absoluteForm(uri) >= 0 || connect
                || uri.equals("*") && HttpMethod.OPTIONS.equals(request.method());
        if (!ok) {
            return RequestRejection.protocolError(HttpResponseStatus.BAD_REQUEST, "request target: " + printable(uri)
                    + " (expected: /path, http://host/path, or * with OPTIONS)");
        }
        return null;
    }

    private RequestRejection normalizePath(HttpRequest request, String uri) {
        PathNormalization level = policy.pathNormalization();
        if (level == PathNormalization.NONE) {
            return null;
        }
        int start = uri.startsWith("/") ? 0 : absoluteForm(uri);
        if (start < 0) {
            return null; // "*"
        }
        int pathStart = start;
        if (start > 0) {
            pathStart = start;
            while (pathStart < uri.length() && uri.charAt(pathStart) != '/' && uri.charAt(pathStart) != '?') {
                pathStart++;
            }
            if (pathStart == uri.length() || uri.charAt(pathStart) != '/') {
                return null; // no path: "/" is implied
            }
        }
        int q = uri.indexOf('?', pathStart);
        int pathEnd = q < 0 ? uri.length() : q;
        String path = uri.substring(pathStart, pathEnd);
        String normalized;
        try {
            normalized = PathNormalizer.normalize(path, level);
        } catch (PathNormalizer.InvalidPath e) {
            // Envoy: 400 with no response flag (details path_normalization_failed); the request
            // itself was framed correctly, so the connection may carry the next one.
            return new RequestRejection(HttpResponseStatus.BAD_REQUEST, ResponseFlag.NONE,
                    "bad request: " + e.getMessage() + "\n", false);
        }
        if (!normalized.equals(path)) {
            request.setUri(uri.substring(0, pathStart) + normalized + uri.substring(pathEnd));
        }
        return null;
    }

    /** For {@code http://authority...} or {@code https://...}: the index where the authority starts; else -1. */
    static int absoluteForm(String uri) {
        return uri.startsWith("http://") ? 7 : uri.startsWith("https://") ? 8 : -1; // as RequestView reads it
    }

    /** RFC 3986 authority characters (as nghttp2's check, which Envoy uses): no space, no control byte. */
    static boolean isAuthority(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "-._~!$&'()*+,;=:%[]@".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** For messages: at most 64 characters, anything unprintable as '?'. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 64));
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c >= 0x7f || c == '"' ? '?' : c);
        }
        return s.length() > 64 ? sb.append("...").toString() : sb.toString();
    }

    private static String escapeBytes(String uri) {
        StringBuilder sb = new StringBuilder(uri.length() + 8);
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4 & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
