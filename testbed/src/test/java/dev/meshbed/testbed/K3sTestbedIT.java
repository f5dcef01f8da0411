package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;

/**
 * The whole {@code make up} in k3s with ServiceLB on ({@link ClusterEdgeChecks}), and what is
 * k3s's own: Docker publishes the node's ports on 127.0.0.1, the container is labelled with the
 * testbed's name, k3s hands the laptop flags of {@link K3sCommandLine} to kube-proxy and the
 * kubelet, and the kubelet's pods live under the testbed's own cgroup root. Runs where Docker answers and the k3s image is present locally; skipped with
 * one line otherwise (K3S_PULL=missing pulls it).
 */
class K3sTestbedIT extends ClusterEdgeChecks {

    @Override
    String name() {
        return "it-k3s-lb";
    }

    @Override
    String skipReason() {
        return K3sSuite.skipReason();
    }

    @Override
    void announceSkip(String why) {
        K3sSuite.announceSkip(why);
    }

    @Override
    Testbed.UpOptions options() {
        return Testbed.UpOptions.k3s().withName(name()).withK3sImage(K3sSuite.IMAGE).withK3sPull(K3sSuite.pull());
    }

    @Override
    String suite() {
        return "k3s suite (ServiceLB on)";
    }

    @Test
    @Order(0)
    void dockerPublishesTheNodeOnLoopback() {
        assertThat(up.env().values()).containsEntry("MESHBED_MODE", "k3s").containsEntry("INGRESS_HOST", "127.0.0.1");
        assertThat(up.container().getLabels()).containsEntry(K3sNode.LABEL, name());
    }

    @Test
    @Order(0)
    void kubeProxyAndTheKubeletRunWithTheLaptopFlags() throws Exception {
        String cgroupRoot = K3sCommandLine.cgroupRoot(name());
        // k3s logs the command lines it runs ("Running kube-proxy ...", "Running kubelet ...")
        String logs = up.container().getLogs();
        assertThat(logs).contains("--masquerade-all=true", "--cgroup-root=" + cgroupRoot,
                "--eviction-hard=imagefs.available<1%", "--eviction-hard=nodefs.available<1%");
        // and the kubelet took them (its configuration as it runs, through the API server's node proxy)
        String node = client.nodes().list().getItems().get(0).getMetadata().getName();
        JsonNode config = new ObjectMapper().readTree(client.raw("/api/v1/nodes/" + node + "/proxy/configz"))
                .path("kubeletconfig");
        assertThat(config.path("cgroupRoot").asText()).isEqualTo(cgroupRoot);
        assertThat(config.path("evictionHard").path("imagefs.available").asText()).isEqualTo("1%");
        assertThat(config.path("evictionHard").path("nodefs.available").asText()).isEqualTo("1%");
        // the pods' cgroups are under it (cgroup v2: one hierarchy; v1: one per controller)
        ExecResult pods = up.container().execInContainer("sh", "-c", "ls -d /sys/fs/cgroup" + cgroupRoot
                + "/kubepods* /sys/fs/cgroup/*" + cgroupRoot + "/kubepods* 2>/dev/null; true");
        assertThat(pods.getStdout()).as("kubepods under %s", cgroupRoot).contains(cgroupRoot + "/kubepods");
    }
}
