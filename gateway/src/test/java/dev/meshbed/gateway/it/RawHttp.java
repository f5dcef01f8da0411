package dev.meshbed.gateway.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for what java.net.http cannot do: choose the Host header, write
 * several requests at once (pipelining), and know that every request goes over one connection.
 * Every read has a timeout.
 */
final class RawHttp implements AutoCloseable {

    /** A response as read from the wire; header names lower-cased. */
    record Response(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawHttp(int port, int readTimeoutMillis) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(readTimeoutMillis);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** A GET request's bytes. */
    static String get(String path, String host, String... extraHeaderLines) {
        StringBuilder sb = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host)
                .append("\r\n");
        for (String h : extraHeaderLines) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    /** Writes the bytes in one go (one write call, so requests written together arrive together). */
    void send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    Response exchange(String raw) throws IOException {
        return exchange(raw, false);
    }

    Response exchange(String raw, boolean toHead) throws IOException {
        send(raw);
        return read(toHead);
    }

    /** Reads one response (Content-Length or chunked body). */
    Response read() throws IOException {
        return read(false);
    }

    /**
     * Reads one response; {@code toHead} says it answers a HEAD request, which (like 1xx, 204 and
     * 304 answers) has no body whatever its headers say.
     */
    Response read(boolean toHead) throws IOException {
        String statusLine = line();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP status line: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(); !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            headers.merge(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        String length = headers.get("content-length");
        if (toHead || status < 200 || status == 204 || status == 304) {
            return new Response(status, headers, "");
        }
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (int size = Integer.parseInt(line().split(";")[0].trim(), 16); size > 0;
                    size = Integer.parseInt(line().split(";")[0].trim(), 16)) {
                body.write(in.readNBytes(size));
                line();
            }
            while (!line().isEmpty()) {
                // trailers
            }
        } else if (length != null) {
            byte[] b = in.readNBytes(Integer.parseInt(length));
            if (b.length < Integer.parseInt(length)) {
                throw new EOFException("body ended after " + b.length + " of " + length + " bytes");
            }
            body.write(b);
        }
        return new Response(status, headers, body.toString(StandardCharsets.UTF_8));
    }

    /** True when the peer has closed the connection (read returns end of stream). */
    boolean closedByPeer() throws IOException {
        return in.read() < 0;
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) c);
        }
        throw new EOFException("connection closed" + (sb.length() > 0 ? " after '" + sb + "'" : ""));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
