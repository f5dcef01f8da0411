package dev.meshbed.gateway.kube;

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
 * HTTP/1.1 GETs over one plain keep-alive socket, with the Host header the test chooses (which
 * java.net.http does not allow). A small copy of the local ITs' RawHttp: Content-Length and chunked
 * bodies, every read with a timeout; the socket is reopened when the server closed it.
 */
final class Http1 implements AutoCloseable {

    /** A response as read from the wire; header names lower-cased. */
    record Response(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /** {@code x-version} for a 200, else {@code STATUS body}. */
        String outcome() {
            return status == 200 && header("x-version") != null ? header("x-version") : status + " " + body;
        }
    }

    private final int port;
    private final int readTimeoutMillis;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private int connections;

    Http1(int port, int readTimeoutMillis) {
        this.port = port;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /** GET {@code path} with {@code Host: host} on the kept-alive connection (opened on demand). */
    Response get(String path, String host) throws IOException {
        if (socket == null) {
            open();
        }
        String raw = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: meshbed-kube-it\r\n\r\n";
        try {
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Response r = read();
            String connection = r.header("connection");
            if (connection != null && connection.toLowerCase(Locale.ROOT).contains("close")) {
                close();
            }
            return r;
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /** How many connections were opened so far (1 while keep-alive holds). */
    int connections() {
        return connections;
    }

    private void open() throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(readTimeoutMillis);
            s.setTcpNoDelay(true);
            socket = s;
            in = new BufferedInputStream(s.getInputStream());
            out = s.getOutputStream();
            connections++;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private Response read() throws IOException {
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
        if (status < 200 || status == 204 || status == 304) {
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
            int n = Integer.parseInt(length);
            byte[] b = in.readNBytes(n);
            if (b.length < n) {
                throw new EOFException("body ended after " + b.length + " of " + n + " bytes");
            }
            body.write(b);
        } else {
            throw new IOException("response without Content-Length or chunked body: " + statusLine + " " + headers);
        }
        return new Response(status, headers, body.toString(StandardCharsets.UTF_8));
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
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
            socket = null;
        }
    }
}
