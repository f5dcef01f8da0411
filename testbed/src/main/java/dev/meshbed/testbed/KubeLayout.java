package dev.meshbed.testbed;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Where a kube node named {@code name} lives on this host, derived from the name alone, so that
 * {@code down} finds everything also without testbed.env (after a crash, or with target/ gone):
 *
 * <ul>
 * <li>its network namespace {@code meshbed-<name>}, joined to the host by a veth pair (the host
 *     side {@link #hostLink()}, {@code 10.213.N.1/24}; the node {@code 10.213.N.2}): every port
 *     of the node (6443, 2379, 10250, the nodePorts), every iptables chain of kube-proxy and the
 *     CNI, the bridge and the pods' veths live in there and go with it;
 * <li>{@code /run/meshbed/<name>}: sockets, containerd's state, the PID files;
 * <li>{@code /var/lib/meshbed/<name>}: etcd's data, containerd's images, the kubelet's root;
 * <li>the cgroup {@code /meshbed-<name>} under each v1 controller (the kubelet's cgroup root);
 * <li>{@code /var/lib/meshbed/<name>/conf}: certificates, kubeconfigs, configuration (every
 *     component's command line names a path under {@code /var/lib/meshbed/<name>/}: that is how
 *     {@code down} tells a recorded PID from a recycled one);
 * <li>{@code logs}: one log per component, under the testbed's state folder in target/ (kept
 *     after {@code down}, for a look).
 * </ul>
 *
 * <p>N is picked from a hash of the name (two nodes with different names get different
 * subnets unless they collide, which {@code up} checks); the load balancer's pool, when there
 * is one, is {@code 10.214.N.0/24}, routed by the host to the node.
 */
record KubeLayout(String name, int subnet, Path logs, Path run, Path data) {

    /** What a node name may be: a DNS label, as Kubernetes wants for the node name. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?");

    static final Path RUN_ROOT = Path.of("/run/meshbed");
    static final Path DATA_ROOT = Path.of("/var/lib/meshbed");

    static final String SERVICE_CIDR = "10.96.0.0/16";
    static final String CLUSTER_CIDR = "10.244.0.0/16";
    static final String POD_SUBNET = "10.244.0.0/24";

    KubeLayout {
        requireNonNull(name, "name");
        requireNonNull(logs, "logs");
        requireNonNull(run, "run");
        requireNonNull(data, "data");
        if (subnet < 1 || subnet > 254) {
            throw new IllegalArgumentException("subnet: " + subnet + " (expected: 1-254)");
        }
    }

    /** The layout of node {@code name}, its logs under {@code logs}. */
    static KubeLayout of(String name, Path logs) {
        if (!NAME.matcher(name).matches()) {
            throw new TestbedException("the testbed name '" + name + "' is not usable as a node name (expected: lower "
                    + "case letters, digits and '-', at most 42, e.g. meshbed)", TestbedException.USAGE);
        }
        return new KubeLayout(name, subnetOf(name), logs, RUN_ROOT.resolve(name), DATA_ROOT.resolve(name));
    }

    /** 10..249, from the name's hash. */
    static int subnetOf(String name) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return 10 + Math.floorMod(((h[0] & 0xff) << 8) | (h[1] & 0xff), 240);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The node's name in the cluster. */
    String nodeName() {
        return "meshbed-" + name;
    }

    String netns() {
        return "meshbed-" + name;
    }

    Path netnsPath() {
        return Path.of("/run/netns", netns());
    }

    /** The host side of the veth pair: at most 15 characters (IFNAMSIZ). */
    String hostLink() {
        String plain = "mbk-" + name;
        if (plain.length() <= 15) {
            return plain;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return "mbk-" + HexFormat.of().formatHex(h).substring(0, 11);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The CNI bridge, inside the node's namespace. */
    String bridge() {
        return "mbr0";
    }

    String hostIp() {
        return "10.213." + subnet + ".1";
    }

    String nodeIp() {
        return "10.213." + subnet + ".2";
    }

    String nodeCidr() {
        return "10.213." + subnet + ".0/24";
    }

    /** The load balancer's addresses: routed by the host to the node, whose kube-proxy takes them. */
    String lbPool() {
        return "10.214." + subnet + ".0/24";
    }

    String lbRange() {
        return "10.214." + subnet + ".10-10.214." + subnet + ".250";
    }

    /** The kubelet's cgroup root, under each controller. */
    String cgroupRoot() {
        return "/meshbed-" + name;
    }

    Path conf() {
        return data.resolve("conf");
    }

    Path pki() {
        return conf().resolve("pki");
    }

    Path log(String component) {
        return logs().resolve(component + ".log");
    }

    Path pids() {
        return run.resolve("pids");
    }

    Path socket() {
        return run.resolve("containerd.sock");
    }

    /** The kubeconfig for users of the cluster (and this launcher). */
    Path adminKubeconfig() {
        return conf().resolve("admin.conf");
    }

    String apiServer() {
        return "https://" + nodeIp() + ":6443";
    }
}
