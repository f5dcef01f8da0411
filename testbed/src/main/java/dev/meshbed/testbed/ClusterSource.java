package dev.meshbed.testbed;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the cluster comes from: the launcher's one seam. {@link Testbed} runs the shared path
 * (check, start, import the images, wait for the node, apply, roll out, resolve the edge, probe,
 * write {@code testbed.env}); a source only knows how its cluster starts, stops and is reached.
 *
 * <ul>
 * <li>{@link K3sSource}: k3s in Docker, through Testcontainers ({@code MESHBED_MODE=k3s});
 * <li>{@link KubeSource}: the one-node Kubernetes built from its Go modules, on this host
 *     ({@code MESHBED_MODE=kube});
 * <li>{@link KubeconfigSource}: whatever KUBECONFIG names ({@code MESHBED_MODE=cluster}).
 * </ul>
 */
interface ClusterSource {

    /** {@code MESHBED_MODE} in testbed.env. */
    String mode();

    /** What {@code up} starts, for its first line. */
    String describe();

    /**
     * What keeps {@code up} from starting here, checked before anything is started (each a
     * sentence naming the problem and the way out); empty when it can start.
     */
    List<String> problems(Manifests.Images images);

    /**
     * Starts the cluster (or reaches it) and puts what {@code down} and {@code status} need
     * into {@code env}, which is written at once, so that {@code down} works if a later step fails.
     */
    Started start(Path stateDir, Map<String, String> env);

    /** A cluster that answers: its kubeconfig file (and context, if not the file's current one). */
    record Started(Path kubeconfig, String context) {
    }

    /** Gives the node the images of {@code images} (no-op where the nodes pull them). */
    void loadImages(Manifests.Images images);

    /** After the manifests rolled out, before the edge is resolved: what else the source waits for. */
    default void afterDeploy(io.fabric8.kubernetes.client.KubernetesClient client) {
    }

    /** Whether the launcher waits for a Ready node (a cluster of its own) or only for the API. */
    default boolean ownsNodes() {
        return true;
    }

    /**
     * Where an address of the cluster's network ({@code host:port}: a node address and a
     * nodePort, or a load balancer's) answers from this machine.
     */
    HostPort fromHere(String clusterHost, int port, String what);

    /** Whether an edge that does not answer from here fails {@code up} (a cluster of its own) or only warns. */
    default boolean edgeMustAnswer() {
        return true;
    }

    /**
     * What may keep the edge silent on this cluster, found while it started (k3s: bridge netfilter
     * off in the node), appended to {@code up}'s failure when the edge does not answer; or empty.
     */
    default String silentEdgeHint() {
        return "";
    }

    /** Why a LoadBalancer may stay pending on this source, appended to the resolution's reason. */
    String pendingContext(boolean loadBalancer);

    /**
     * Removes the cluster named {@code name}, found from its state (and, where the source can,
     * without it: after a crash); says what it removed, or that there was nothing.
     */
    void down(String name, Optional<TestbedEnv> env);

    /**
     * Says whether the cluster named {@code name} runs, in lines of its own; true if it runs
     * (then the shared part asks the API).
     */
    boolean status(String name, Optional<TestbedEnv> env);

    /**
     * Throws when a part of the cluster this source started has died (with the last lines of its
     * log); a no-op where the source starts no processes of its own.
     */
    default void checkAlive() {
    }

    /**
     * What the source knows when the node or a rollout does not get ready: lines starting with a
     * line break (dead components, the last lines of the relevant logs), or empty.
     */
    default String diagnosis() {
        return "";
    }

    /** Whether something of a cluster named {@code name} is left on this machine (no testbed.env needed). */
    boolean present(String name);
}
