package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How a cluster's connections are secured: DestinationRule {@code tls} with mode SIMPLE or MUTUAL
 * (with files), built into a client {@link SslContext} when the table is compiled. Equal settings
 * are equal objects, so pooled connections outlive a reload that does not change them.
 *
 * <p>Names are checked as Envoy does under Istio: against {@code subjectAltNames} when given,
 * else against the SNI (Istio's {@code VERIFY_CERTIFICATE_AT_CLIENT}, Envoy's
 * {@code auto_san_validation}); {@code insecureSkipVerify} checks neither trust nor names.
 */
public final class UpstreamTls {

    private final String mode;
    private final String sni;
    private final List<String> subjectAltNames;
    private final boolean insecureSkipVerify;
    private final String identity;
    private final SslContext context;

    /**
     * @param mode SIMPLE or MUTUAL
     * @param identity the settings that made {@code context} (files, names), for equality and the dump
     */
    public UpstreamTls(String mode, String sni, List<String> subjectAltNames, boolean insecureSkipVerify,
            String identity, SslContext context) {
        this.mode = requireNonNull(mode, "mode");
        this.sni = requireNonNull(sni, "sni");
        this.subjectAltNames = List.copyOf(subjectAltNames);
        this.insecureSkipVerify = insecureSkipVerify;
        this.identity = requireNonNull(identity, "identity");
        this.context = requireNonNull(context, "context");
        if (!context.isClient()) {
            throw new IllegalArgumentException("context: a server context (expected: a client context)");
        }
    }

    public String mode() {
        return mode;
    }

    /** The name sent as SNI. */
    public String sni() {
        return sni;
    }

    /** A handler for one new connection, sending the SNI. */
    public SslHandler newHandler(ByteBufAllocator alloc, int port) {
        return context.newHandler(alloc, sni, port);
    }

    /**
     * Checks the peer's certificate names after the handshake.
     *
     * @return null when they are acceptable, else the reason (for the 503 UF body)
     */
    public String verifyNames(X509Certificate peer) {
        if (insecureSkipVerify) {
            return null;
        }
        List<String> expected = subjectAltNames.isEmpty() ? List.of(sni) : subjectAltNames;
        List<String> names = names(peer);
        for (String want : expected) {
            for (String have : names) {
                if (matches(have, want)) {
                    return null;
                }
            }
        }
        return "CERTIFICATE_VERIFY_FAILED: no subject alternative name of the upstream certificate " + names
                + " matches " + expected;
    }

    private static List<String> names(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    Object type = san.get(0);
                    if (Integer.valueOf(2).equals(type) || Integer.valueOf(7).equals(type)
                            || Integer.valueOf(6).equals(type)) { // DNS, IP, URI
                        out.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no names: nothing matches
        }
        return out;
    }

    /** A SAN matches exactly, or as a DNS wildcard of one leftmost label ({@code *.example.com}). */
    static boolean matches(String san, String want) {
        String w = want.toLowerCase(Locale.ROOT);
        if (san.equals(w)) {
            return true;
        }
        if (isIp(san) || isIp(w)) {
            return false;
        }
        if (san.startsWith("*.")) {
            int dot = w.indexOf('.');
            return dot > 0 && w.substring(dot).equals(san.substring(1));
        }
        return false;
    }

    private static boolean isIp(String s) {
        return s.indexOf(':') >= 0 || s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    /** For the config dump. */
    public String describe() {
        return identity;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UpstreamTls t && t.identity.equals(identity);
    }

    @Override
    public int hashCode() {
        return Objects.hash(identity);
    }

    @Override
    public String toString() {
        return identity;
    }
}
