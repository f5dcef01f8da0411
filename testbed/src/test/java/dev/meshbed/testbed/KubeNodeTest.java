package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kube node's layout, configuration and command lines, without starting anything. */
class KubeNodeTest {

    @TempDir
    Path tmp;

    private final PrintStream quiet = new PrintStream(new ByteArrayOutputStream());

    @Test
    void aLayoutIsDerivedFromTheNameAlone() {
        KubeLayout a = KubeLayout.of("meshbed", tmp);
        assertThat(a.netns()).isEqualTo("meshbed-meshbed");
        assertThat(a.nodeIp()).isEqualTo("10.213." + a.subnet() + ".2");
        assertThat(a.hostIp()).isEqualTo("10.213." + a.subnet() + ".1");
        assertThat(a.lbPool()).isEqualTo("10.214." + a.subnet() + ".0/24");
        assertThat(a.run()).isEqualTo(Path.of("/run/meshbed/meshbed"));
        assertThat(a.data()).isEqualTo(Path.of("/var/lib/meshbed/meshbed"));
        assertThat(KubeLayout.of("meshbed", tmp.resolve("elsewhere")).subnet()).as("stable").isEqualTo(a.subnet());
        assertThat(KubeLayout.of("it-kube", tmp).subnet()).isBetween(10, 249);
    }

    @Test
    void hostLinkNamesFitTheKernelsLimit() {
        assertThat(KubeLayout.of("meshbed", tmp).hostLink()).isEqualTo("mbk-meshbed");
        String longName = KubeLayout.of("a-rather-long-testbed-name", tmp).hostLink();
        assertThat(longName).hasSizeLessThanOrEqualTo(15).startsWith("mbk-");
        assertThat(KubeLayout.of("a-rather-long-testbed-name2", tmp).hostLink()).isNotEqualTo(longName);
    }

    @Test
    void aNameThatIsNoNodeNameIsRefusedWithItsRule() {
        assertThatThrownBy(() -> KubeLayout.of("Bad_Name", tmp)).isInstanceOf(TestbedException.class)
                .hasMessageContaining("'Bad_Name' is not usable as a node name");
        assertThatThrownBy(() -> KubeLayout.of("../x", tmp)).isInstanceOf(TestbedException.class);
    }

    @Test
    void everyTemplateIsFilledCompletely() throws Exception {
        KubeLayout l = KubeLayout.of("t", tmp);
        KubeNode node = new KubeNode(l, tmp.resolve("bin/meshbed-kube"), quiet);
        Map<String, String> values = node.values("v1.34.4", NodeImages.PAUSE_IMAGE);
        for (String t : List.of("containerd.toml", "cni.conflist", "kubelet.yaml", "kube-proxy.yaml", "kubeadm.yaml",
                "audit-policy.yaml")) {
            Path out = tmp.resolve("conf").resolve(t);
            node.writeTemplate(t, out, values);
            String text = Files.readString(out);
            assertThat(text).as(t).doesNotContain("{{");
        }
        assertThat(Files.readString(tmp.resolve("conf/kubelet.yaml"))).contains("cgroupRoot: /meshbed-t",
                "cgroupDriver: cgroupfs", "failCgroupV1: false", "containerRuntimeEndpoint: unix:///run/meshbed/t/containerd.sock");
        assertThat(Files.readString(tmp.resolve("conf/containerd.toml"))).contains("restrict_oom_score_adj = true",
                "sandbox_image = \"meshbed/pause:1.0\"", "netns_mounts_under_state_dir = true");
        assertThat(Files.readString(tmp.resolve("conf/kube-proxy.yaml"))).contains("mode: iptables", "maxPerCore: 0");
        assertThatThrownBy(() -> node.writeTemplate("kubelet.yaml", tmp.resolve("x"), Map.of()))
                .hasMessageContaining("placeholder without a value");
    }

    @Test
    void everyComponentNamesTheNodesDataFolderSoThatItsPidCanBeTold() {
        KubeLayout l = KubeLayout.of("t", tmp);
        KubeNode node = new KubeNode(l, tmp.resolve("bin/meshbed-kube"), quiet);
        for (String c : KubeNode.COMPONENTS) {
            assertThat(String.join(" ", node.command(c))).as(c).contains(l.data() + "/");
        }
        assertThat(node.command("kube-apiserver")).contains("--authorization-mode", "Node,RBAC",
                "--audit-policy-file");
        assertThat(node.command("kubelet")).contains("--node-ip", l.nodeIp());
        assertThat(KubeNode.ours(l, ProcessHandle.current().pid())).as("this JVM is no process of the node").isFalse();
    }

    @Test
    void sysctlsAreReadWhole() throws Exception {
        Path pidMax = Path.of("/proc/sys/kernel/pid_max");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(pidMax), "no /proc/sys here (not Linux)");
        String cat = Exec.run(java.time.Duration.ofSeconds(5), "cat", pidMax.toString()).orThrow("cat").strip();
        assertThat(cat).hasSizeGreaterThan(1); // a value of several digits: what a one-byte read would cut
        assertThat(KubeNode.readProc(pidMax)).isEqualTo(cat);
    }

    @Test
    void metalLbsManifestIsTrimmedToTheControllerAndItsDeploymentAdapted() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("bin"));
        Files.copy(Path.of(getClass().getResource("/kube/metallb-native.yaml").toURI()), dir.resolve("metallb-native.yaml"));
        Files.writeString(dir.resolve("metallb.version"), "v0.15.2\n");
        KubeLoadBalancer lb = new KubeLoadBalancer(KubeLayout.of("t", tmp), dir, quiet);
        List<HasMetadata> kept = lb.manifest();
        assertThat(kept).extracting(o -> o.getKind() + "/" + o.getMetadata().getName()).containsExactly(
                "Namespace/metallb-system", "CustomResourceDefinition/ipaddresspools.metallb.io",
                "ServiceAccount/controller", "Deployment/controller");
        Deployment d = (Deployment) kept.get(3);
        var c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo("meshbed/metallb-controller:v0.15.2");
        assertThat(c.getImagePullPolicy()).isEqualTo("IfNotPresent");
        assertThat(c.getArgs()).contains("--webhook-mode=disabled");
        assertThat(lb.problems()).singleElement().asString().contains("metallb-controller is missing");
    }
}
