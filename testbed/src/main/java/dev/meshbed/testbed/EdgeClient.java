package dev.meshbed.testbed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 GETs with a new TCP connection per request ({@code Connection: close}), as the lesson
 * needs: kube-proxy picks a pod per connection, so only fresh connections show the pod-count split
 * of a NodePort beside the per-request weights of the gateway. No dependencies, no pooling.
 */
public final class EdgeClient {

    /** What came back: the status, the headers (names lower-cased) and the body. */
    public record Response(int status, Map<String, String> headers, String body) {
        /** The sample app's {@code x-version} header, or null. */
        public String version() {
            return headers.get("x-version");
        }
    }

    private EdgeClient() {
    }

    /** One {@code GET path} to {@code host:port} on a new connection. */
    public static Response get(String host, int port, String path, Map<String, String> headers, Duration timeout)
            throws IOException {
        int millis = (int) Math.max(1, timeout.toMillis());
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), millis);
            socket.setSoTimeout(millis);
            StringBuilder req = new StringBuilder().append("GET ").append(path).append(" HTTP/1.1\r\n");
            if (headers.keySet().stream().noneMatch("host"::equalsIgnoreCase)) {
                req.append("Host: ").append(host).append(':').append(port).append("\r\n");
            }
            req.append("User-Agent: meshbed-testbed\r\n")
                    .append("Connection: close\r\n");
            headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
            req.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return read(new java.io.BufferedInputStream(socket.getInputStream()));
        }
    }

    /** One {@code GET /} without extra headers. */
    public static Response get(String host, int port, Duration timeout) throws IOException {
        return get(host, port, "/", Map.of(), timeout);
    }

    /**
     * {@code n} GETs, each on a new connection; counts by {@code x-version} ({@code "status <code>"}
     * for answers without one, {@code "error"} for failed requests).
     */
    public static Map<String, Integer> sample(String host, int port, int n, Map<String, String> headers,
            Duration timeout) {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String key;
            try {
                Response r = get(host, port, "/sample/" + i, headers, timeout);
                key = r.status() == 200 && r.version() != null ? r.version() : "status " + r.status();
            } catch (IOException e) {
                key = "error";
            }
            counts.merge(key, 1, Integer::sum);
        }
        return counts;
    }

    private static Response read(InputStream in) throws IOException {
        String statusLine = line(in);
        if (statusLine == null || !statusLine.startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: " + statusLine);
        }
        String[] parts = statusLine.split(" ", 3);
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
            int colon = l.indexOf(':');
            if (colon > 0) {
                headers.merge(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim(),
                        (a, b) -> a + ", " + b);
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        String length = headers.get("content-length");
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (String size = line(in); size != null; size = line(in)) {
                int semi = size.indexOf(';');
                int n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
                if (n == 0) {
                    break;
                }
                body.write(in.readNBytes(n));
                line(in);
            }
        } else if (length != null) {
            body.write(in.readNBytes(Integer.parseInt(length.trim())));
        } else {
            body.write(in.readAllBytes());
        }
        return new Response(status, headers, body.toString(StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
