package dev.meshbed.testbed;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;

/**
 * fabric8's mock Kubernetes API server in CRUD mode (what {@code @EnableKubernetesMockClient(crud = true)}
 * sets up), bound to 127.0.0.1, with a client and, on demand, a kubeconfig file that points at it.
 */
final class MockApi implements AutoCloseable {

    /** The mock server logs every request at INFO through java.util.logging: kept to warnings (and a strong reference). */
    private static final java.util.logging.Logger MOCK_LOG = quiet("io.fabric8.mockwebserver.MockWebServer");

    private final KubernetesMockServer server;
    private final KubernetesClient client;

    private MockApi(KubernetesMockServer server, KubernetesClient client) {
        this.server = server;
        this.client = client;
    }

    static MockApi start() {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesMixedDispatcher(new HashMap<>()), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(url(server)).withNamespace("default")
                .withTrustCerts(true).withRequestTimeout(10_000).withConnectionTimeout(5_000).build();
        return new MockApi(server, new KubernetesClientBuilder().withConfig(config).build());
    }

    KubernetesClient client() {
        return client;
    }

    String url() {
        return url(server);
    }

    private static String url(KubernetesMockServer server) {
        return "http://127.0.0.1:" + server.getPort();
    }

    /** A kubeconfig file whose current context is this server. */
    Path kubeconfig(Path dir) {
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: %s
                contexts:
                - name: mock
                  context:
                    cluster: mock
                    user: mock
                    namespace: default
                current-context: mock
                users:
                - name: mock
                  user:
                    token: mock-token
                """.formatted(url());
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve("kubeconfig.yaml");
            Files.writeString(file, yaml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static java.util.logging.Logger quiet(String name) {
        java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
        l.setLevel(java.util.logging.Level.WARNING);
        return l;
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
