package dev.meshbed.gateway.it;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * An HTTPS upstream (JDK TLS, a certificate from PEM files) that records the SNI of each
 * connection and answers every request 200 with {@code tls sni=<name>}. One thread per
 * connection; every read has a timeout.
 */
final class TlsUpstream implements AutoCloseable {

    private final SSLServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tls-upstream");
        t.setDaemon(true);
        return t;
    });
    private final List<String> sniSeen = new CopyOnWriteArrayList<>();

    TlsUpstream(Path certificate, Path key) throws IOException {
        this(certificate, key, null);
    }

    /** With {@code clientCa}, clients must present a certificate it signed (mutual TLS). */
    TlsUpstream(Path certificate, Path key, Path clientCa) throws IOException {
        SslContextBuilder builder = SslContextBuilder.forServer(certificate.toFile(), key.toFile())
                .sslProvider(SslProvider.JDK);
        if (clientCa != null) {
            builder.trustManager(clientCa.toFile()).clientAuth(ClientAuth.REQUIRE);
        }
        JdkSslContext ctx = (JdkSslContext) builder.build();
        server = (SSLServerSocket) ctx.context().getServerSocketFactory().createServerSocket();
        server.setNeedClientAuth(clientCa != null); // Netty sets this per engine; a raw server socket needs it here
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        threads.execute(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    /** The SNI names of the connections whose handshake completed ("" for none). */
    List<String> sniSeen() {
        return List.copyOf(sniSeen);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                threads.execute(() -> serve((SSLSocket) s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(SSLSocket socket) {
        try (socket) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            String sni = "";
            if (socket.getSession() instanceof ExtendedSSLSession ext) {
                for (SNIServerName n : ext.getRequestedServerNames()) {
                    if (n instanceof SNIHostName h) {
                        sni = h.getAsciiName();
                    }
                }
            }
            sniSeen.add(sni);
            String client = "";
            try {
                client = " client=" + ((java.security.cert.X509Certificate) socket.getSession()
                        .getPeerCertificates()[0]).getSubjectX500Principal().getName();
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                // no client certificate
            }
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (readHead(in)) {
                byte[] body = ("tls sni=" + sni + client).getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: " + body.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            }
        } catch (IOException e) {
            // handshake refused by the client, or the connection ended
        }
    }

    /** Reads a request head (bodyless requests only); false at the end of the stream. */
    private static boolean readHead(InputStream in) throws IOException {
        int state = 0;
        int b;
        while ((b = in.read()) != -1) {
            state = (b == '\r' && (state == 0 || state == 2)) ? state + 1
                    : (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        threads.shutdownNow();
    }
}
