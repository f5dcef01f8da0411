package dev.meshbed.gateway.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An upstream that records every request exactly as it arrived on the wire (head, body, chunked
 * trailers) and answers each with 200 and {@code seen <target>}. For asserting what the gateway
 * sent, and that it sent nothing at all. A request whose connection ends before its body does is
 * recorded as incomplete. One thread per connection; every read has a timeout.
 */
final class RecordingUpstream implements AutoCloseable {

    /** A request as received: request line, header lines (raw), decoded body, raw trailer lines. */
    record Received(String requestLine, String headers, String body, String trailers, boolean complete) {
        String target() {
            String[] parts = requestLine.split(" ");
            return parts.length > 1 ? parts[1] : "";
        }
    }

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "recording-upstream");
        t.setDaemon(true);
        return t;
    });
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<String> heads = new CopyOnWriteArrayList<>();

    RecordingUpstream() throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        threads.execute(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    /** The requests whose target contains {@code marker}. */
    List<Received> receivedWith(String marker) {
        return received.stream().filter(r -> r.requestLine().contains(marker)).toList();
    }

    /** True once a request head whose line contains {@code marker} has arrived (its body may still be coming). */
    boolean headSeen(String marker) {
        return heads.stream().anyMatch(h -> h.contains(marker));
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                threads.execute(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (true) {
                String requestLine = line(in);
                if (requestLine == null) {
                    return;
                }
                StringBuilder headers = new StringBuilder();
                long length = 0;
                boolean chunked = false;
                for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
                    headers.append(h).append("\r\n");
                    String lower = h.toLowerCase(Locale.ROOT);
                    if (lower.startsWith("content-length:")) {
                        length = Long.parseLong(h.substring(15).trim());
                    } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                        chunked = true;
                    }
                }
                heads.add(requestLine);
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                StringBuilder trailers = new StringBuilder();
                boolean complete = chunked ? readChunked(in, body, trailers) : readN(in, body, length);
                received.add(new Received(requestLine, headers.toString(), body.toString(StandardCharsets.UTF_8),
                        trailers.toString(), complete));
                if (!complete) {
                    return;
                }
                byte[] answer = ("seen " + requestLine.split(" ")[1]).getBytes(StandardCharsets.UTF_8);
                // head and body in one write: two small writes meet Nagle and delayed ACKs (40 ms a response)
                ByteArrayOutputStream response = new ByteArrayOutputStream();
                response.write(("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: " + answer.length
                        + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                response.write(answer);
                out.write(response.toByteArray());
                out.flush();
            }
        } catch (IOException e) {
            // the gateway closed the connection: nothing more to record
        }
    }

    private static boolean readN(InputStream in, ByteArrayOutputStream body, long n) throws IOException {
        byte[] b = in.readNBytes((int) n);
        body.write(b);
        return b.length == n;
    }

    private static boolean readChunked(InputStream in, ByteArrayOutputStream body, StringBuilder trailers)
            throws IOException {
        while (true) {
            String size = line(in);
            if (size == null) {
                return false;
            }
            int n;
            try {
                n = Integer.parseInt(size.split(";")[0].trim(), 16);
            } catch (NumberFormatException e) {
                return false;
            }
            if (n == 0) {
                for (String t = line(in); t != null; t = line(in)) {
                    if (t.isEmpty()) {
                        return true;
                    }
                    trailers.append(t).append("\r\n");
                }
                return false;
            }
            if (!readN(in, body, n) || line(in) == null) {
                return false;
            }
        }
    }

    /** A CRLF-terminated line, or null at the end of the stream. */
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
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
