package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the k3s node is started with, checked without Docker: the server's flags (ServiceLB on or
 * off, masquerade-all, a kubelet cgroup root per testbed name, low eviction thresholds) and the
 * entrypoint script, run here with sh against a stand-in cgroup tree
 * (v1 and v2) and a stand-in k3s.
 */
class K3sCommandLineTest {

    @TempDir
    Path tmp;

    @Test
    void theServerRunsWithTheLaptopFlags() {
        assertThat(K3sCommandLine.serverArgs("meshbed", false, "localhost")).containsExactly(
                "server", "--disable=traefik", "--disable=servicelb", "--tls-san=localhost",
                "--kube-proxy-arg=masquerade-all=true",
                "--kubelet-arg=cgroup-root=/meshbed-k3s-meshbed",
                "--kubelet-arg=eviction-hard=imagefs.available<1%",
                "--kubelet-arg=eviction-hard=nodefs.available<1%",
                "--kubelet-arg=eviction-minimum-reclaim=imagefs.available=1%",
                "--kubelet-arg=eviction-minimum-reclaim=nodefs.available=1%");
    }

    @Test
    void serviceLbIsOnUnlessTheLoadBalancerIsOff() {
        assertThat(K3sCommandLine.serverArgs("meshbed", true, "127.0.0.1")).doesNotContain("--disable=servicelb")
                .startsWith("server", "--disable=traefik", "--tls-san=127.0.0.1");
        assertThat(K3sCommandLine.serverArgs("meshbed", false, "127.0.0.1")).contains("--disable=servicelb");
    }

    @Test
    void eachTestbedNameHasAKubeletCgroupRootOfItsOwn() {
        assertThat(K3sCommandLine.serverArgs("it-k3s-lb", true, "h"))
                .contains("--kubelet-arg=cgroup-root=/meshbed-k3s-it-k3s-lb");
        assertThat(K3sCommandLine.serverArgs("it-k3s-nolb", true, "h"))
                .contains("--kubelet-arg=cgroup-root=/meshbed-k3s-it-k3s-nolb");
        assertThat(K3sCommandLine.cgroupRoot("meshbed")).isEqualTo("/meshbed-k3s-meshbed")
                .as("not the kube node's /meshbed-<name>").isNotEqualTo("/meshbed-meshbed");
        assertThat(K3sCommandLine.cgroupRoot("it-lifecycle-1234")).isEqualTo("/meshbed-k3s-it-lifecycle-1234");
    }

    @Test
    void aNameThatCannotBeACgroupIsAUsageError() {
        for (String bad : List.of("", "a b", "../up", "x/y", "-flag", "a".repeat(64))) {
            assertThatThrownBy(() -> K3sCommandLine.cgroupRoot(bad)).as("'%s'", bad)
                    .isInstanceOfSatisfying(TestbedException.class, e -> assertThat(e.exitCode()).isEqualTo(2))
                    .hasMessageContaining("the testbed name '" + bad + "' is not usable for a k3s node");
        }
    }

    @Test
    void noFlagValueHoldsACommaForAnyParserToSplit() {
        // k3s's own flag parser (urfave/cli) may split slice values on commas; one threshold per flag avoids it
        assertThat(K3sCommandLine.serverArgs("meshbed", false, "localhost")).noneMatch(a -> a.contains(","));
    }

    @Test
    void theEntrypointRunsTheScriptThenK3sWithTheContainersCommand() {
        assertThat(K3sCommandLine.entrypoint())
                .containsExactly("/bin/sh", "-c", K3sCommandLine.ENTRYPOINT_SCRIPT, "k3s");
        assertThat(K3sCommandLine.ENTRYPOINT_SCRIPT).contains("exec \"${MESHBED_K3S_BINARY:-/bin/k3s}\" \"$@\"")
                .contains("$" + K3sCommandLine.CGROUP_ROOT_ENV);
    }

    @Test
    void onCgroupV1TheScriptCreatesTheRootUnderEveryHierarchyWithCpusetFilled() throws Exception {
        Path fs = tmp.resolve("cgroup");
        for (String h : List.of("cpu,cpuacct", "cpuset", "memory", "pids", "systemd")) {
            Files.createDirectories(fs.resolve(h));
            Files.writeString(fs.resolve(h).resolve("tasks"), "");
        }
        Files.createSymbolicLink(fs.resolve("cpu"), Path.of("cpu,cpuacct"));
        Files.createDirectories(fs.resolve("unified")); // hybrid: a v2 mount beside v1, no tasks file
        Files.writeString(fs.resolve("cpuset/cpuset.cpus"), "0-3\n");
        Files.writeString(fs.resolve("cpuset/cpuset.mems"), "0\n");
        // a kernel makes these in a new cpuset cgroup, empty; mkdir here does not, so: made empty up front
        Files.createDirectories(fs.resolve("cpuset/meshbed-k3s-t"));
        Files.writeString(fs.resolve("cpuset/meshbed-k3s-t/cpuset.cpus"), "");
        Files.writeString(fs.resolve("cpuset/meshbed-k3s-t/cpuset.mems"), "");

        Run r = runScript(fs, "/meshbed-k3s-t", "server", "--disable=traefik");

        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("k3s args: server --disable=traefik");
        for (String h : List.of("cpu,cpuacct", "cpuset", "memory", "pids", "systemd")) {
            assertThat(fs.resolve(h).resolve("meshbed-k3s-t")).isDirectory();
        }
        assertThat(fs.resolve("unified/meshbed-k3s-t")).doesNotExist();
        assertThat(fs.resolve("cpuset/meshbed-k3s-t/cpuset.cpus")).hasContent("0-3");
        assertThat(fs.resolve("cpuset/meshbed-k3s-t/cpuset.mems")).hasContent("0");
    }

    @Test
    void onCgroupV2TheScriptCreatesTheRootAndEnablesTheKubeletsControllers() throws Exception {
        Path fs = tmp.resolve("cgroup2");
        Files.createDirectories(fs);
        Files.writeString(fs.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
        Path subtree = fs.resolve("cgroup.subtree_control");
        Files.writeString(subtree, "");

        Run r = runScript(fs, "/meshbed-k3s-t", "server");

        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(fs.resolve("meshbed-k3s-t")).isDirectory();
        // each write replaces this plain file; the last controller is what is left (a kernel adds them up)
        assertThat(subtree).hasContent("+pids");
        assertThat(r.output()).contains("k3s args: server");
    }

    @Test
    void whenTheRootCannotBeCreatedTheNodeStopsWithALineSayingSo() throws Exception {
        Path fs = tmp.resolve("readonly");
        Files.createDirectories(fs.resolve("memory"));
        Files.writeString(fs.resolve("memory/tasks"), "");
        Files.writeString(fs.resolve("memory/meshbed-k3s-t"), "a file where the folder should go");

        Run r = runScript(fs, "/meshbed-k3s-t", "server");

        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).doesNotContain("k3s args")
                .contains("meshbed: cannot create the kubelet's cgroup root " + fs + "/memory/meshbed-k3s-t");
    }

    @Test
    void theScriptIsCleanUnderShellcheckAsPosixSh() throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("shellcheck", "-s", "sh", "-").redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "shellcheck is not installed");
            return;
        }
        p.getOutputStream().write(K3sCommandLine.ENTRYPOINT_SCRIPT.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("shellcheck -s sh on the entrypoint script").isBlank();
    }

    private record Run(int exit, String output) {
    }

    /** The entrypoint as Docker runs it (sh -c SCRIPT k3s ARGS...), against {@code fs}, with a k3s that echoes. */
    private Run runScript(Path fs, String root, String... args) throws Exception {
        Path k3s = tmp.resolve("k3s");
        Files.writeString(k3s, "#!/bin/sh\necho \"k3s args: $*\"\n");
        k3s.toFile().setExecutable(true);
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", K3sCommandLine.ENTRYPOINT_SCRIPT, "k3s"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put(K3sCommandLine.CGROUP_ROOT_ENV, root);
        pb.environment().put("MESHBED_CGROUP_FS", fs.toString());
        pb.environment().put("MESHBED_K3S_BINARY", k3s.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }
}
