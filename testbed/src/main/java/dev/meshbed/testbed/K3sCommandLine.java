package dev.meshbed.testbed;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the k3s node runs: {@code k3s server} with the flags a laptop needs, behind an entrypoint
 * that first creates the kubelet's cgroup root. Pure, so that it can be checked without Docker.
 *
 * <ul>
 * <li>{@code --disable=traefik} (the testbed's edge is its own gateway), {@code --disable=servicelb}
 *     with the load balancer off, {@code --tls-san=<host>} (replacing K3sContainer's command drops
 *     its own flags, and the API server's certificate must name the host the kubeconfig points at);
 * <li>{@code --kube-proxy-arg=masquerade-all=true}: ServiceLB forwards to the Service's ClusterIP,
 *     and a same-node reply over the node's bridge is only translated back when the Docker host
 *     has {@code br_netfilter} loaded, which Docker 27.3+ no longer always does; with every
 *     ClusterIP packet masqueraded the reply is routed, not bridged ({@link BridgeNetfilter});
 * <li>{@code --kubelet-arg=cgroup-root=/meshbed-k3s-<name>}: K3sContainer runs in the host's cgroup
 *     namespace, so two k3s nodes on one host would share {@code /kubepods} (and each kubelet would
 *     remove the other's pods' cgroups as orphans). The kubelet checks that its cgroup root exists,
 *     so the entrypoint creates it first ({@link #ENTRYPOINT_SCRIPT}). {@code /meshbed-k3s-}, not
 *     {@code /meshbed-}: the kube node (CLUSTER=kube) of the same name uses that one;
 * <li>eviction at 1 % free instead of k3s's 5 % (and a reclaim of 1 % instead of 10 %): the kubelet
 *     in a container sees the Docker engine's disk, on Docker Desktop a VM disk shared with every
 *     image, and would evict the testbed's pods (or never admit them) on a full-ish laptop. k3s sets
 *     no soft thresholds, so there are none to lower. One threshold per {@code --kubelet-arg}: k3s
 *     passes each as its own {@code --eviction-hard=...} (its args merge repeated keys, and so does
 *     the kubelet's map flag), with no comma for any flag parser to split.
 * </ul>
 *
 * <p>k3s hands {@code --kubelet-arg=k=v} and {@code --kube-proxy-arg=k=v} to the kubelet and
 * kube-proxy as {@code --k=v} (k3s-io/k3s pkg/util/args.go, GetArgs), and kubelet flags override
 * the configuration file k3s writes (its {@code 00-k3s-defaults.conf} drop-in).
 */
public final class K3sCommandLine {

    /** The environment variable that hands the cgroup root to {@link #ENTRYPOINT_SCRIPT}. */
    public static final String CGROUP_ROOT_ENV = "MESHBED_CGROUP_ROOT";

    /** The k3s image's own entrypoint (rancher/k3s: {@code ENTRYPOINT ["/bin/k3s"]}). */
    static final String K3S = "/bin/k3s";

    /** Eviction thresholds, each passed on its own ({@code imagefs.available<1%}, ...). */
    static final List<String> EVICTION_HARD = List.of("imagefs.available<1%", "nodefs.available<1%");
    static final List<String> EVICTION_MINIMUM_RECLAIM = List.of("imagefs.available=1%", "nodefs.available=1%");

    /**
     * Creates the kubelet's cgroup root ({@code $MESHBED_CGROUP_ROOT}) where the kubelet will look
     * for it, then runs k3s with the container's command. cgroup v2: under the unified hierarchy,
     * with the controllers the kubelet checks for enabled at the root (as runc would for
     * {@code /kubepods}). cgroup v1: under every mounted hierarchy (the named {@code systemd} one
     * too), cpuset's cpus and mems copied from the parent, as cpuset needs them before any task.
     * Plain POSIX sh: the k3s image has busybox's. ({@code MESHBED_CGROUP_FS} and
     * {@code MESHBED_K3S_BINARY} are for its test: another cgroup folder, another k3s.)
     */
    static final String ENTRYPOINT_SCRIPT = """
            set -e
            r=$MESHBED_CGROUP_ROOT
            fs=${MESHBED_CGROUP_FS:-/sys/fs/cgroup}
            fail() { echo "meshbed: cannot create the kubelet's cgroup root $1" >&2; exit 1; }
            if [ -f "$fs/cgroup.controllers" ]; then
              mkdir -p "$fs$r" || fail "$fs$r"
              for c in cpu cpuset memory hugetlb pids; do
                case " $(cat "$fs/cgroup.controllers") " in
                  *" $c "*) (echo "+$c" >"$fs/cgroup.subtree_control") 2>/dev/null || true ;;
                esac
              done
            else
              for d in "$fs"/*; do
                if [ -f "$d/tasks" ] && [ ! -L "$d" ]; then
                  mkdir -p "$d$r" || fail "$d$r"
                  for f in cpuset.cpus cpuset.mems; do
                    if [ -f "$d/$f" ] && [ -z "$(cat "$d$r/$f")" ]; then cat "$d/$f" >"$d$r/$f"; fi
                  done
                fi
              done
            fi
            exec "${MESHBED_K3S_BINARY:-%s}" "$@"
            """.formatted(K3S);

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private K3sCommandLine() {
    }

    /** {@code k3s server} and its flags for testbed {@code name}. */
    public static List<String> serverArgs(String name, boolean loadBalancer, String tlsSan) {
        requireNonNull(tlsSan, "tlsSan");
        List<String> args = new ArrayList<>(List.of("server", "--disable=traefik"));
        if (!loadBalancer) {
            args.add("--disable=servicelb");
        }
        args.add("--tls-san=" + tlsSan);
        args.add("--kube-proxy-arg=masquerade-all=true");
        args.add("--kubelet-arg=cgroup-root=" + cgroupRoot(name));
        EVICTION_HARD.forEach(t -> args.add("--kubelet-arg=eviction-hard=" + t));
        EVICTION_MINIMUM_RECLAIM.forEach(t -> args.add("--kubelet-arg=eviction-minimum-reclaim=" + t));
        return List.copyOf(args);
    }

    /**
     * The kubelet's cgroup root of testbed {@code name}: {@code /meshbed-k3s-<name>}.
     *
     * @throws TestbedException ({@link TestbedException#USAGE}) for a name that is not usable in a cgroup path
     */
    public static String cgroupRoot(String name) {
        requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new TestbedException("the testbed name '" + name + "' is not usable for a k3s node (expected: "
                    + "letters, digits, '.', '_' and '-', at most 63, e.g. meshbed)", TestbedException.USAGE);
        }
        return "/meshbed-k3s-" + name;
    }

    /** The container's entrypoint: {@link #ENTRYPOINT_SCRIPT}, then k3s with the container's command. */
    public static List<String> entrypoint() {
        return List.of("/bin/sh", "-c", ENTRYPOINT_SCRIPT, "k3s");
    }
}
