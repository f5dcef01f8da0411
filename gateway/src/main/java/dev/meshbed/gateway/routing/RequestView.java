package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import java.util.HashMap;
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
    private Map<String, String> queryParams;

    public RequestView(HttpRequest request, String sourceIp) {
        this.request = requireNonNull(request, "request");
        this.sourceIp = requireNonNull(sourceIp, "sourceIp");
        String uri = request.uri();
        String auth = request.headers().get(HttpHeaderNames.HOST);
        // absolute-form target (a client talking to us as to a forward proxy): its authority
        // wins over the Host header (RFC 9112 section 3.2.2), as in Envoy
        if (uri.startsWith("http://") || uri.startsWith("https://")) {
            int start = uri.indexOf("//") + 2;
            int end = start;
            while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
                end++;
            }
            auth = uri.substring(start, end);
            uri = end == uri.length() ? "/" : uri.charAt(end) == '/' ? uri.substring(end) : "/" + uri.substring(end);
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

    /**
     * The first value of a query parameter ("" when present without a value), or null. Values
     * are compared as sent, not percent-decoded, as Envoy's router does.
     */
    public String queryParam(String name) {
        if (query == null) {
            return null;
        }
        if (queryParams == null) {
            queryParams = parseQuery(query);
        }
        return queryParams.get(name);
    }

    private static Map<String, String> parseQuery(String query) {
        Map<String, String> out = new HashMap<>();
        int i = 0;
        while (i <= query.length()) {
            int amp = query.indexOf('&', i);
            if (amp < 0) {
                amp = query.length();
            }
            if (amp > i) {
                int eq = query.indexOf('=', i);
                if (eq < 0 || eq > amp) {
                    out.putIfAbsent(query.substring(i, amp), "");
                } else {
                    out.putIfAbsent(query.substring(i, eq), query.substring(eq + 1, amp));
                }
            }
            i = amp + 1;
        }
        return out;
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
