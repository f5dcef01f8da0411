package dev.meshbed.gateway.routing;

import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettingsTLSmode;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.File;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * Builds {@link UpstreamTls} from DestinationRule {@code tls} (ClientTLSSettings), reading the
 * certificate files of local mode when the table is compiled. Whatever it cannot honour fully is
 * {@link TlsUnavailable}: the cluster is then not served at all, never as plaintext or with weaker
 * checks.
 */
final class UpstreamTlsBuilder {

    /** The settings cannot be applied as written; the message says why. */
    static final class TlsUnavailable extends Exception {
        TlsUnavailable(String message) {
            super(message, null, false, false);
        }
    }

    private UpstreamTlsBuilder() {
    }

    /**
     * @param notes receives what is accepted but not used (client files in SIMPLE mode, which
     *     Istio does not use either)
     */
    static UpstreamTls build(ClientTLSSettings s, String host, java.util.function.Consumer<String> notes)
            throws TlsUnavailable {
        ClientTLSSettingsTLSmode mode = s.getMode();
        if (mode == ClientTLSSettingsTLSmode.ISTIO_MUTUAL) {
            throw new TlsUnavailable("needs the mesh's workload certificates (issued by istiod), "
                    + "which this gateway does not have");
        }
        if (s.getCredentialName() != null && !s.getCredentialName().isEmpty()) {
            throw new TlsUnavailable("credentialName " + s.getCredentialName()
                    + " names a Kubernetes secret, which this gateway does not read; give file paths "
                    + "(caCertificates, clientCertificate, privateKey)");
        }
        if (s.getCaCrl() != null && !s.getCaCrl().isEmpty()) {
            throw new TlsUnavailable("caCrl is not supported, and ignoring it would accept revoked certificates");
        }
        boolean mutual = mode == ClientTLSSettingsTLSmode.MUTUAL;
        boolean skip = Boolean.TRUE.equals(s.getInsecureSkipVerify());
        String sni = s.getSni() != null && !s.getSni().isEmpty() ? s.getSni().toLowerCase(Locale.ROOT) : host;
        List<String> sans = s.getSubjectAltNames() == null ? List.of() : List.copyOf(s.getSubjectAltNames());
        // names are checked by UpstreamTls.verifyNames, Istio's way (subjectAltNames, else the SNI),
        // not by the JDK against the SNI (Netty 4.2's client default)
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .endpointIdentificationAlgorithm(null);
        String ca = s.getCaCertificates();
        if (skip) {
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
        } else if (ca != null && !ca.isEmpty()) {
            builder.trustManager(readable("caCertificates", ca));
        } // else the JDK's trusted CAs ("system", as Istio defaults caCertificates)
        if (mutual) {
            if (isEmpty(s.getClientCertificate()) || isEmpty(s.getPrivateKey())) {
                throw new TlsUnavailable("MUTUAL needs clientCertificate and privateKey");
            }
            builder.keyManager(readable("clientCertificate", s.getClientCertificate()),
                    readable("privateKey", s.getPrivateKey()));
        } else if (!isEmpty(s.getClientCertificate()) || !isEmpty(s.getPrivateKey())) {
            notes.accept("clientCertificate and privateKey are not presented in mode SIMPLE (as in Istio); "
                    + "use MUTUAL");
        }
        String identity = "mode: " + mode.name() + ", sni: " + sni
                + (skip ? ", insecureSkipVerify: true" : ", caCertificates: " + (isEmpty(ca) ? "system" : ca))
                + (sans.isEmpty() ? "" : ", subjectAltNames: " + sans)
                + (mutual ? ", clientCertificate: " + s.getClientCertificate() + ", privateKey: " + s.getPrivateKey() : "");
        try {
            return new UpstreamTls(mode.name(), sni, sans, skip, identity, builder.build());
        } catch (SSLException | IllegalArgumentException e) {
            throw new TlsUnavailable("cannot be built: " + e.getMessage());
        }
    }

    private static File readable(String field, String path) throws TlsUnavailable {
        File f = new File(path);
        if (!f.isFile() || !f.canRead()) {
            throw new TlsUnavailable(field + " " + path + ": not a readable file");
        }
        return f;
    }

    private static boolean isEmpty(String s) {
        return s == null || s.isEmpty();
    }
}
