package dev.meshbed.testbed;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Removes a kube node completely, found from its name alone ({@link KubeLayout}), whether or not
 * {@code up} finished: its components (by the PIDs recorded and checked), its pods' processes
 * (containerd's shims and the containers' init processes, by their PID files), every mount under
 * its folders, its network namespace (and with it every iptables chain, the bridge and the veths
 * in it), the host's veth and route, its cgroups, the kernel settings the kubelet changed, and its
 * folders. {@link #leftovers()} then looks again for each kind of thing, so that {@code down} can
 * say that nothing is left, or what is and how to remove it.
 */
final class KubeTeardown {

    private static final Duration STOP = Duration.ofSeconds(10);

    private final KubeLayout layout;
    private final PrintStream out;

    KubeTeardown(KubeLayout layout, PrintStream out) {
        this.layout = layout;
        this.out = out;
    }

    /** Whether anything of the node is on this host. */
    boolean present() {
        return Files.exists(layout.run()) || Files.exists(layout.data()) || Files.exists(layout.netnsPath())
                || Files.exists(Path.of("/sys/class/net", layout.hostLink()));
    }

    /** Removes everything; returns what it did, one item per line. */
    List<String> run() {
        List<String> done = new ArrayList<>();
        // the kubelet first, so that it restarts nothing; then the pods; then the rest, in reverse start order
        Map<String, Long> pids = KubeNode.runningPids(layout);
        if (pids.containsKey("kubelet")) {
            stop("kubelet", pids.get("kubelet"), done);
        }
        killTasks(done);
        List<String> order = new ArrayList<>(KubeNode.COMPONENTS);
        java.util.Collections.reverse(order);
        for (String c : order) {
            Long pid = pids.get(c);
            if (pid != null && !"kubelet".equals(c)) {
                stop(c, pid, done);
            }
        }
        killTasks(done); // shims that outlived containerd
        int unmounted = unmountAll();
        if (unmounted > 0) {
            done.add("unmounted " + unmounted + " mounts under " + layout.run() + " and " + layout.data());
        }
        if (Files.exists(layout.netnsPath())) {
            Exec.Result r = Exec.run(Duration.ofSeconds(30), "ip", "netns", "delete", layout.netns());
            done.add(r.ok() ? "deleted network namespace " + layout.netns() + " (its bridge, veths and iptables chains)"
                    : "could not delete network namespace " + layout.netns() + ": " + r.output());
        }
        if (Files.exists(Path.of("/sys/class/net", layout.hostLink()))) {
            Exec.run(Duration.ofSeconds(30), "ip", "link", "delete", layout.hostLink());
            done.add("deleted interface " + layout.hostLink());
        }
        if (routePresent()) {
            Exec.run(Duration.ofSeconds(30), "ip", "route", "delete", layout.lbPool());
            done.add("deleted the route to " + layout.lbPool());
        }
        int cgroups = removeCgroups();
        if (cgroups > 0) {
            done.add("removed " + cgroups + " cgroups under " + layout.cgroupRoot());
        }
        if (restoreSysctls()) {
            done.add("restored the kernel settings the kubelet changed (" + String.join(", ", KubeNode.KUBELET_SYSCTLS)
                    + ")");
        }
        removeContainerLogLinks();
        for (Path dir : List.of(layout.run(), layout.data())) {
            try {
                if (Files.exists(dir)) {
                    KubeNode.deleteTree(dir);
                    done.add("deleted " + dir);
                }
            } catch (IOException e) {
                done.add("could not delete " + dir + ": " + e.getMessage());
            }
        }
        return done;
    }

    private void stop(String component, long pid, List<String> done) {
        boolean stopped = terminate(pid);
        done.add((stopped ? "stopped " : "killed ") + component + " (pid " + pid + ")");
    }

    /** SIGTERM, then SIGKILL after {@link #STOP}; true if it ended on SIGTERM. */
    static boolean terminate(long pid) {
        var handle = ProcessHandle.of(pid);
        if (handle.isEmpty()) {
            return true;
        }
        handle.get().destroy();
        long deadline = System.nanoTime() + STOP.toNanos();
        while (handle.get().isAlive() && System.nanoTime() < deadline) {
            KubeNode.sleep(Duration.ofMillis(100));
        }
        if (handle.get().isAlive()) {
            handle.get().destroyForcibly();
            long hard = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (handle.get().isAlive() && System.nanoTime() < hard) {
                KubeNode.sleep(Duration.ofMillis(100));
            }
            return false;
        }
        return true;
    }

    /**
     * The pods' processes: for every task containerd recorded under the node's state folder, the
     * container's init process (its PID namespace goes with it), SIGKILLed by the PID in its file;
     * then the node's containerd shims, each found by the node's own containerd socket on its
     * command line, whether or not a task folder still records its PID (reading {@code shim.pid}
     * files alone left shims running after {@code down}), SIGTERMed together and SIGKILLed after
     * {@link #STOP}.
     */
    private void killTasks(List<String> done) {
        int containers = 0;
        Path tasks = layout.run().resolve("containerd/io.containerd.runtime.v2.task");
        if (Files.isDirectory(tasks)) {
            try (Stream<Path> s = Files.walk(tasks, 2)) {
                for (Path dir : s.filter(p -> Files.isRegularFile(p.resolve("init.pid"))).toList()) {
                    Long init = pid(dir.resolve("init.pid"));
                    if (init != null && ProcessHandle.of(init).isPresent()) {
                        ProcessHandle.of(init).get().destroyForcibly();
                        containers++;
                    }
                }
            } catch (IOException e) {
                done.add("could not list the node's tasks: " + e.getMessage());
            }
        }
        List<ProcessHandle> shims;
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            shims = all.filter(p -> isShim(p.pid())).toList();
        }
        shims.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + STOP.toNanos();
        while (shims.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            KubeNode.sleep(Duration.ofMillis(100));
        }
        shims.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        if (containers + shims.size() > 0) {
            done.add("killed " + containers + " container processes and " + shims.size() + " containerd shims");
        }
    }

    private static Long pid(Path file) {
        try {
            return Files.isRegularFile(file) ? Long.parseLong(Files.readString(file).strip()) : null;
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    private boolean isShim(long pid) {
        try {
            String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ');
            return cmdline.contains("containerd-shim") && cmdline.contains(layout.socket().toString());
        } catch (IOException e) {
            return false;
        }
    }

    /** The mount points under the node's folders (and its netns file), deepest first. */
    List<String> mounts() {
        List<String> found = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4) {
                    String mountPoint = f[4].replace("\\040", " ");
                    if (under(mountPoint, layout.run()) || under(mountPoint, layout.data())
                            || mountPoint.equals(layout.netnsPath().toString())) {
                        found.add(mountPoint);
                    }
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        found.sort(Comparator.comparingInt(String::length).reversed());
        return found;
    }

    private static boolean under(String mountPoint, Path dir) {
        return mountPoint.equals(dir.toString()) || mountPoint.startsWith(dir + "/");
    }

    private int unmountAll() {
        int n = 0;
        for (int round = 0; round < 3; round++) {
            List<String> mounts = mounts().stream().filter(m -> !m.equals(layout.netnsPath().toString())).toList();
            if (mounts.isEmpty()) {
                break;
            }
            for (String m : mounts) {
                if (Exec.run(Duration.ofSeconds(30), "umount", m).ok()
                        || Exec.run(Duration.ofSeconds(30), "umount", "-l", m).ok()) {
                    n++;
                }
            }
        }
        return n;
    }

    private boolean routePresent() {
        Exec.Result r = Exec.run(Duration.ofSeconds(10), "ip", "route", "show", layout.lbPool());
        return r.ok() && !r.output().isBlank();
    }

    /** The node's cgroups, under each controller, deepest first (each must be empty of tasks by now). */
    List<Path> cgroups() {
        List<Path> found = new ArrayList<>();
        for (Path controller : KubeNode.cgroupControllers()) {
            Path root = controller.resolve(layout.cgroupRoot().substring(1));
            if (Files.isDirectory(root)) {
                try (Stream<Path> s = Files.walk(root)) {
                    s.filter(Files::isDirectory).forEach(found::add);
                } catch (IOException e) {
                    found.add(root);
                }
            }
        }
        found.sort(Comparator.comparingInt((Path p) -> p.getNameCount()).reversed());
        return found;
    }

    private int removeCgroups() {
        int n = 0;
        for (int round = 0; round < 5; round++) {
            List<Path> left = cgroups();
            if (left.isEmpty()) {
                break;
            }
            for (Path p : left) {
                try {
                    Files.delete(p); // rmdir: a cgroup's files are not real files
                    n++;
                } catch (IOException e) {
                    // tasks still leaving: the next round
                }
            }
            if (!cgroups().isEmpty()) {
                KubeNode.sleep(Duration.ofMillis(500));
            }
        }
        return n;
    }

    private boolean restoreSysctls() {
        Path saved = layout.run().resolve("sysctls.saved");
        if (!Files.isRegularFile(saved)) {
            return false;
        }
        List<String> others = otherRunningNodes();
        if (!others.isEmpty()) {
            out.println("  left the kernel settings as the kubelets set them: kube node " + String.join(", ", others)
                    + " still runs (the last node's down puts them back)");
            Path keep = layout.run().getParent().resolve(others.get(0)).resolve("sysctls.saved");
            try {
                if (!Files.exists(keep)) {
                    Files.copy(saved, keep);
                }
            } catch (IOException e) {
                out.println("  could not hand the saved settings on to " + keep + ": " + e.getMessage());
            }
            return false;
        }
        try {
            for (String line : Files.readAllLines(saved)) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    try {
                        Files.writeString(Path.of("/proc/sys").resolve(line.substring(0, eq)), line.substring(eq + 1));
                    } catch (IOException e) {
                        out.println("  could not restore " + line + ": " + e.getMessage());
                    }
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The other kube nodes on this host whose kubelet runs. */
    private List<String> otherRunningNodes() {
        List<String> others = new ArrayList<>();
        if (!Files.isDirectory(KubeLayout.RUN_ROOT)) {
            return others;
        }
        try (Stream<Path> s = Files.list(KubeLayout.RUN_ROOT)) {
            for (Path dir : s.toList()) {
                String n = dir.getFileName().toString();
                if (!n.equals(layout.name())) {
                    try {
                        if (KubeNode.runningPids(KubeLayout.of(n, layout.logs())).containsKey("kubelet")) {
                            others.add(n);
                        }
                    } catch (TestbedException e) {
                        // not a node's folder
                    }
                }
            }
        } catch (IOException e) {
            // none found
        }
        return others;
    }

    /** The kubelet links each container's log into /var/log/containers: the links into the node's folders. */
    private void removeContainerLogLinks() {
        Path dir = Path.of("/var/log/containers");
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(Files::isSymbolicLink).toList()) {
                try {
                    if (Files.readSymbolicLink(p).startsWith(layout.data())) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException ignored) {
                    // not ours, or gone
                }
            }
        } catch (IOException ignored) {
            // nothing to tidy
        }
    }

    /**
     * What of the node is still on the host after {@link #run()}: processes naming its folders,
     * mounts, the namespace, interfaces, the route, cgroups, folders, and any iptables chain of
     * kube-proxy or the CNI in the host's own tables (there should be none: they live in the
     * node's namespace). Each with what to do about it.
     */
    List<String> leftovers() {
        List<String> left = new ArrayList<>();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            all.filter(p -> KubeNode.ours(layout, p.pid())).forEach(p -> left.add("process " + p.pid() + " ("
                    + p.info().command().orElse("?") + "): kill " + p.pid()));
        }
        mounts().forEach(m -> left.add("mount " + m + ": umount -l " + m));
        if (Files.exists(layout.netnsPath())) {
            left.add("network namespace " + layout.netns() + ": ip netns delete " + layout.netns());
        }
        if (Files.exists(Path.of("/sys/class/net", layout.hostLink()))) {
            left.add("interface " + layout.hostLink() + ": ip link delete " + layout.hostLink());
        }
        if (routePresent()) {
            left.add("route " + layout.lbPool() + ": ip route delete " + layout.lbPool());
        }
        List<Path> cgroups = cgroups();
        if (!cgroups.isEmpty()) {
            left.add(cgroups.size() + " cgroups under " + layout.cgroupRoot() + ", e.g. " + cgroups.get(0) + ": rmdir them");
        }
        for (Path dir : List.of(layout.run(), layout.data())) {
            if (Files.exists(dir)) {
                left.add("folder " + dir + ": rm -rf " + dir);
            }
        }
        if (Exec.onPath("iptables-save")) {
            Exec.Result r = Exec.run(Duration.ofSeconds(20), "iptables-save");
            if (r.ok()) {
                r.output().lines().filter(l -> l.startsWith(":KUBE-") || l.startsWith(":CNI-")).limit(3)
                        .forEach(l -> left.add("host iptables chain " + l.substring(1, l.indexOf(' '))
                                + " (kube-proxy's or a CNI plugin's, in the host's tables: from another cluster?)"));
            }
        }
        return left;
    }
}
