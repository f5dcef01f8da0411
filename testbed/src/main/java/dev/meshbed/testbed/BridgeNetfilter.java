package dev.meshbed.testbed;

import java.util.Optional;

/**
 * What the k3s node's {@code net.bridge.bridge-nf-call-iptables} says about its Docker host.
 * ServiceLB (klipper-lb) forwards the load balancer's port to the Service's ClusterIP; when the
 * gateway pod answers a peer on the same node, the reply crosses the node's bridge, and only with
 * bridge netfilter on does iptables translate it back. The setting exists only where the host has
 * {@code br_netfilter} loaded (a container cannot load it), and Docker 27.3+ no longer always
 * loads it. The node runs kube-proxy with {@code masquerade-all=true} ({@link K3sCommandLine}),
 * which routes such replies instead; the hint says what to do if the edge stays silent anyway.
 */
public final class BridgeNetfilter {

    /** The setting, as the node's kernel shows it. */
    public static final String PROC_FILE = "/proc/sys/net/bridge/bridge-nf-call-iptables";

    private BridgeNetfilter() {
    }

    /**
     * A hint when bridge netfilter is off in the node: {@code value} is the file's content, or null
     * when the file is missing (no {@code br_netfilter} on the host); empty when it is on.
     */
    public static Optional<String> hint(String value) {
        String state;
        if (value == null) {
            state = PROC_FILE + " is missing in the k3s node: the Docker host has not loaded br_netfilter "
                    + "(Docker 27.3+ no longer always loads it)";
        } else if ("0".equals(value.trim())) {
            state = PROC_FILE + " is 0 in the k3s node: bridge netfilter is off";
        } else {
            return Optional.empty();
        }
        return Optional.of(state + ". Same-node replies over the node's bridge are then not translated back; "
                + "kube-proxy runs with masquerade-all=true, which avoids that for traffic to ClusterIPs "
                + "(ServiceLB's path). If the edge stays silent, load the module on the Docker host "
                + "(Linux: sudo modprobe br_netfilter), then make down && make up");
    }
}
