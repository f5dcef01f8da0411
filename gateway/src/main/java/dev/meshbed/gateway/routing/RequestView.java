package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The request as routing sees it: method, authority, path, headers, query and source address.
 * Built once per request; the query string and cookies are decoded only if a matcher asks.
 */
public final class RequestView {

    private final HttpRequest request;
    private final String sourceIp;
    private final String authority;
    private final String host;
    private final String path;
    private final String query;
    private Map<String, List<String>> queryParams;

    public RequestView(HttpRequest request, String sourceIp) {
        this.request = requireNonNull(request, "request");
        this.sourceIp = requireNonNull(sourceIp, "sourceIp");
        String uri = request.uri();
        String auth = request.headers().get(HttpHeaderNames.HOST);
        // absolute-form request target (a client that talks to us as to a forward proxy)
        if (uri.startsWith("http://") || uri.startsWith("https://")) {
            int start = uri.indexOf("//") + 2;
            int slash = uri.indexOf('/', start);
            if (auth == null) {
                auth = slash < 0 ? uri.substring(start) : uri.substring(start, slash);
            }
            uri = slash < 0 ? "/" : uri.substring(slash);
        }
        this.authority = auth == null ? "" : auth;
        this.host = hostOf(this.authority);
        int q = uri.indexOf('?');
        this.path = q < 0 ? uri : uri.substring(0, q);
        this.query = q < 0 ? null : uri.substring(q + 1);
    }

    /** Lower-cased host without port: what virtual hosts are matched on (Envoy's ignore_port_in_host_matching). */
    static String hostOf(String authority) {
        String h = authority;
        if (h.startsWith("[")) { // IPv6 literal
            int end = h.indexOf(']');
            h = end < 0 ? h : h.substring(0, end + 1);
        } else {
            int colon = h.lastIndexOf(':');
            if (colon >= 0) {
                h = h.substring(0, colon);
            }
        }
        return h.toLowerCase(Locale.ROOT);
    }

    public HttpRequest request() {
        return request;
    }

    public String method() {
        return request.method().name();
    }

    /** The Host header as sent (port included). */
    public String authority() {
        return authority;
    }

    /** Lower-cased host, port removed. */
    public String host() {
        return host;
    }

    /** The path without the query string. */
    public String path() {
        return path;
    }

    /** The path with {@code ?query} when there is one. */
    public String pathAndQuery() {
        return query == null ? path : path + "?" + query;
    }

    public String sourceIp() {
        return sourceIp;
    }

    public String scheme() {
        return "http";
    }

    /** A header's value; several values are joined with "," as Envoy's header matchers see them. */
    public String header(String name) {
        HttpHeaders headers = request.headers();
        List<String> all = headers.getAll(name);
        if (all.isEmpty()) {
            return null;
        }
        return all.size() == 1 ? all.get(0) : String.join(",", all);
    }

    public boolean hasQuery() {
        return query != null;
    }

    /** The first value of a query parameter ("" when present without a value), or null. */
    public String queryParam(String name) {
        if (query == null) {
            return null;
        }
        if (queryParams == null) {
            queryParams = new QueryStringDecoder(query, StandardCharsets.UTF_8, false).parameters();
        }
        List<String> values = queryParams.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** A cookie's value, or null. */
    public String cookie(String name) {
        List<String> headers = request.headers().getAll(HttpHeaderNames.COOKIE);
        for (String header : headers) {
            for (Cookie c : ServerCookieDecoder.LAX.decodeAll(header)) {
                if (c.name().equals(name)) {
                    return c.value();
                }
            }
        }
        return null;
    }
}
