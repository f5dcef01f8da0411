package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** testbed.env is read back alike by Java and by a shell that sources it. */
class TestbedEnvTest {

    @TempDir
    Path dir;

    private static Map<String, String> sample() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("MESHBED_MODE", "k3s");
        m.put("GATEWAY_URL", "127.0.0.1:49153");
        m.put("STATUS_URL", "http://127.0.0.1:49155/healthz/ready");
        m.put("INGRESS_REASON", "no load balancer answered: Service istio-system/istio-ingressgateway is a "
                + "LoadBalancer but status.loadBalancer.ingress is empty (EXTERNAL-IP <pending>); it's $HOME `x` \"q\" \\ ok");
        m.put("EMPTY", "");
        m.put("KUBECONFIG", "/work/main/target/testbed/kubeconfig.yaml");
        return m;
    }

    @Test
    void javaReadsBackWhatItWrote() {
        Path f = dir.resolve("testbed.env");
        TestbedEnv.of(sample()).write(f, "header line 1\nheader line 2");
        assertThat(TestbedEnv.read(f).orElseThrow().values()).isEqualTo(sample());
        assertThat(TestbedEnv.read(dir.resolve("missing.env"))).isEmpty();
    }

    @Test
    void aShellReadsTheSameValues() throws IOException, InterruptedException {
        Path f = dir.resolve("testbed.env");
        TestbedEnv.of(sample()).write(f, "meshbed testbed");
        StringBuilder script = new StringBuilder(". '" + f + "'\n");
        for (String k : sample().keySet()) {
            script.append("printf '%s=%s\\0' ").append(k).append(" \"$").append(k).append("\"\n");
        }
        Process p = new ProcessBuilder("bash", "-c", script.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(output).isZero();
        Map<String, String> fromShell = new LinkedHashMap<>();
        for (String entry : output.split("\0")) {
            int eq = entry.indexOf('=');
            fromShell.put(entry.substring(0, eq), entry.substring(eq + 1));
        }
        assertThat(fromShell).isEqualTo(sample());
        assertThat(Files.readString(f)).startsWith("# meshbed testbed\n").contains("GATEWAY_URL=127.0.0.1:49153\n");
    }

    @Test
    void quotingIsTheShells() {
        assertThat(TestbedEnv.quote("plain-1.2:3/x")).isEqualTo("plain-1.2:3/x");
        assertThat(TestbedEnv.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(TestbedEnv.unquote("'it'\\''s'")).isEqualTo("it's");
        assertThat(TestbedEnv.unquote("\"a b\"")).isEqualTo("a b");
        assertThat(TestbedEnv.parse("export A=1\n# c\n\nB='x y'\n").values()).isEqualTo(Map.of("A", "1", "B", "x y"));
    }
}
