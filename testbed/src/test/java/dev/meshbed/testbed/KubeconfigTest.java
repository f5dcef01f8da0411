package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * k3s writes its admin credentials into k3s.yaml as an EC client key in SEC1 form
 * ({@code BEGIN EC PRIVATE KEY}, Go's x509.MarshalECPrivateKey). Testcontainers' k3s docs advise
 * BouncyCastle for fabric8 to read such keys; fabric8 7.5.2 reads them on its own, which this
 * test holds it to (the key is parsed when the client is built: a broken one fails there).
 */
class KubeconfigTest {

    @TempDir
    Path dir;

    private void openssl(String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "openssl";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "openssl is not installed");
            return;
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    }

    private Path kubeconfig(String certPem, String keyPem) throws IOException {
        Base64.Encoder b64 = Base64.getEncoder();
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: default
                  cluster:
                    certificate-authority-data: %1$s
                    server: https://127.0.0.1:1
                contexts:
                - name: default
                  context:
                    cluster: default
                    user: default
                current-context: default
                users:
                - name: default
                  user:
                    client-certificate-data: %1$s
                    client-key-data: %2$s
                """.formatted(b64.encodeToString(certPem.getBytes(StandardCharsets.US_ASCII)),
                b64.encodeToString(keyPem.getBytes(StandardCharsets.US_ASCII)));
        Path f = Files.createTempFile(dir, "kubeconfig", ".yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void anEcClientKeyAsK3sWritesItIsRead() throws Exception {
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "key.pem");
        openssl("req", "-new", "-x509", "-key", "key.pem", "-out", "cert.pem", "-days", "1", "-subj",
                "/O=system:masters/CN=system:admin");
        String key = Files.readString(dir.resolve("key.pem"));
        String cert = Files.readString(dir.resolve("cert.pem"));
        assertThat(key).startsWith("-----BEGIN EC PRIVATE KEY-----");

        try (KubernetesClient client = Testbed.client(kubeconfig(cert, key))) {
            assertThat(client.getMasterUrl().toString()).isEqualTo("https://127.0.0.1:1/");
        }
        String broken = "-----BEGIN EC PRIVATE KEY-----\nAAAAbroken\n-----END EC PRIVATE KEY-----\n";
        assertThatThrownBy(() -> Testbed.client(kubeconfig(cert, broken)).close()).hasMessageContaining("DER");
    }
}
