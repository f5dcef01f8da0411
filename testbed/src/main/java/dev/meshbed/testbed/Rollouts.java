package dev.meshbed.testbed;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Waits for Deployments to roll out ({@code kubectl rollout status}: the new generation observed,
 * every replica updated and ready), printing a progress line whenever it changes (and every 15 s),
 * and explaining a timeout with what the pods are waiting for (ImagePullBackOff, CrashLoopBackOff, ...).
 */
public final class Rollouts {

    private Rollouts() {
    }

    /** Ready, or a line saying what is not. */
    record State(String line, boolean done) {
    }

    public static void await(KubernetesClient client, List<Deployment> deployments, Duration timeout, PrintStream out) {
        await(client, deployments, timeout, out, () -> "");
    }

    /**
     * As {@link #await(KubernetesClient, List, Duration, PrintStream)}; a timeout also shows the
     * nodes' conditions and what {@code more} says (the cluster's own logs).
     */
    public static void await(KubernetesClient client, List<Deployment> deployments, Duration timeout, PrintStream out,
            Supplier<String> more) {
        long start = System.nanoTime();
        AtomicReference<String> last = new AtomicReference<>("");
        AtomicLong lastPrint = new AtomicLong(0);
        try {
            Awaitility.await("rollouts").atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofSeconds(1))
                    .ignoreExceptionsMatching(e -> e instanceof KubernetesClientException)
                    .until(() -> {
                        State s = state(client, deployments);
                        long now = System.nanoTime();
                        if (!s.line().equals(last.get()) || now - lastPrint.get() > Duration.ofSeconds(15).toNanos()) {
                            out.printf("  rollout %3d s: %s%n", Duration.ofNanos(now - start).toSeconds(), s.line());
                            last.set(s.line());
                            lastPrint.set(now);
                        }
                        return s.done();
                    });
        } catch (ConditionTimeoutException e) {
            throw new TestbedException("the rollouts did not finish within " + timeout.toSeconds() + " s: "
                    + last.get() + diagnose(client, deployments) + nodes(client) + more.get(), TestbedException.FAILED);
        }
    }

    static State state(KubernetesClient client, List<Deployment> deployments) {
        List<String> parts = new ArrayList<>();
        boolean done = true;
        for (Deployment d : deployments) {
            Deployment live = client.apps().deployments().inNamespace(d.getMetadata().getNamespace())
                    .withName(d.getMetadata().getName()).get();
            String name = d.getMetadata().getNamespace() + "/" + d.getMetadata().getName();
            if (live == null) {
                parts.add(name + " missing");
                done = false;
                continue;
            }
            int want = live.getSpec().getReplicas() == null ? 1 : live.getSpec().getReplicas();
            var st = live.getStatus();
            int ready = st == null || st.getReadyReplicas() == null ? 0 : st.getReadyReplicas();
            int updated = st == null || st.getUpdatedReplicas() == null ? 0 : st.getUpdatedReplicas();
            int total = st == null || st.getReplicas() == null ? 0 : st.getReplicas();
            boolean observed = st != null && st.getObservedGeneration() != null
                    && live.getMetadata().getGeneration() != null
                    && st.getObservedGeneration() >= live.getMetadata().getGeneration();
            boolean ok = observed && updated >= want && ready >= want && total == updated;
            done &= ok;
            parts.add(name + " " + ready + "/" + want + (ok ? " ready" : ""));
        }
        return new State(String.join(", ", parts), done);
    }

    /** What the pods of the Deployments that are not ready are waiting for. */
    static String diagnose(KubernetesClient client, List<Deployment> deployments) {
        StringBuilder sb = new StringBuilder();
        for (Deployment d : deployments) {
            try {
                var selector = d.getSpec().getSelector().getMatchLabels();
                List<Pod> pods = client.pods().inNamespace(d.getMetadata().getNamespace()).withLabels(selector).list()
                        .getItems();
                if (pods.isEmpty()) {
                    sb.append("\n    ").append(d.getMetadata().getName()).append(": no pods");
                }
                for (Pod p : pods) {
                    String why = podProblem(p);
                    if (why != null) {
                        sb.append("\n    pod ").append(p.getMetadata().getNamespace()).append('/')
                                .append(p.getMetadata().getName()).append(": ").append(why);
                    }
                }
            } catch (KubernetesClientException e) {
                sb.append("\n    (cannot list the pods of ").append(d.getMetadata().getName()).append(": ")
                        .append(Applier.message(e)).append(')');
            }
        }
        return sb.toString();
    }

    /** The nodes and their conditions, as a line starting with a line break. */
    static String nodes(KubernetesClient client) {
        try {
            return "\n    nodes: " + nodeConditions(client.nodes().list().getItems());
        } catch (KubernetesClientException e) {
            return "\n    (cannot list the nodes: " + Applier.message(e) + ")";
        }
    }

    /**
     * {@code node-1: Ready=False (KubeletNotReady: ...), DiskPressure=True (...)}: every node's
     * Ready condition and every other condition that is not False (pressure, network unavailable).
     */
    static String nodeConditions(List<Node> nodes) {
        if (nodes.isEmpty()) {
            return "no node registered";
        }
        List<String> parts = new ArrayList<>();
        for (Node n : nodes) {
            List<String> conds = new ArrayList<>();
            if (n.getStatus() != null && n.getStatus().getConditions() != null) {
                for (NodeCondition c : n.getStatus().getConditions()) {
                    boolean ready = "Ready".equals(c.getType());
                    if (ready || !"False".equals(c.getStatus())) {
                        String why = c.getReason() == null ? "" : c.getReason()
                                + (c.getMessage() == null || c.getMessage().isBlank() || ready && "True".equals(c.getStatus())
                                        ? "" : ": " + c.getMessage());
                        conds.add(c.getType() + "=" + c.getStatus() + (why.isEmpty() ? "" : " (" + why + ")"));
                    }
                }
            }
            parts.add(n.getMetadata().getName() + ": " + (conds.isEmpty() ? "no conditions yet" : String.join(", ", conds)));
        }
        return String.join("; ", parts);
    }

    /** Why a pod is not ready, or null if it is. */
    static String podProblem(Pod p) {
        if (p.getStatus() == null) {
            return "no status yet";
        }
        List<String> reasons = new ArrayList<>();
        if (p.getStatus().getContainerStatuses() != null) {
            for (ContainerStatus cs : p.getStatus().getContainerStatuses()) {
                if (Boolean.TRUE.equals(cs.getReady())) {
                    continue;
                }
                var state = cs.getState();
                if (state != null && state.getWaiting() != null) {
                    String reason = state.getWaiting().getReason();
                    String msg = state.getWaiting().getMessage();
                    reasons.add(cs.getName() + " waiting: " + reason + (msg == null ? "" : " (" + msg + ")")
                            + hint(reason, cs.getImage()));
                } else if (state != null && state.getTerminated() != null) {
                    reasons.add(cs.getName() + " terminated: " + state.getTerminated().getReason() + ", exit code "
                            + state.getTerminated().getExitCode());
                } else {
                    reasons.add(cs.getName() + " running but not ready (readiness probe)");
                }
                if (cs.getLastState() != null && cs.getLastState().getTerminated() != null) {
                    var t = cs.getLastState().getTerminated();
                    reasons.add("last exit code " + t.getExitCode() + (t.getMessage() == null ? "" : ": " + t.getMessage()));
                }
            }
        }
        if (reasons.isEmpty() && p.getStatus().getConditions() != null) {
            p.getStatus().getConditions().stream()
                    .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
                    .forEach(c -> reasons.add("not scheduled: " + c.getMessage()));
        }
        if (reasons.isEmpty() && !"Running".equals(p.getStatus().getPhase())) {
            reasons.add("phase " + p.getStatus().getPhase());
        }
        return reasons.isEmpty() ? null : String.join("; ", reasons);
    }

    private static String hint(String reason, String image) {
        if (reason == null) {
            return "";
        }
        return switch (reason) {
            case "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull" ->
                    " -- the node does not have " + image + ": with k3s the launcher imports the Jib tarballs "
                            + "(make images); with CLUSTER=kubeconfig push them (IMAGE_REGISTRY=...) or load them "
                            + "into the cluster";
            case "CrashLoopBackOff" -> " -- see kubectl logs --previous";
            case "CreateContainerConfigError" -> " -- the pod spec does not fit the image (securityContext, user?)";
            default -> "";
        };
    }
}
