package dev.meshbed.loadtests.target;

import dev.meshbed.loadtests.LoadTestException;
import dev.meshbed.testbed.Project;
import dev.meshbed.testbed.TestbedEnv;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The testbed a run goes against, from the file its launcher wrote: {@code target/local/local.env}
 * ({@code make local}, {@code make demo}) or {@code target/testbed/testbed.env} ({@code make up}).
 * With both present, {@code MODE} picks; without it the cluster wins, and the run says so.
 */
public record RunningTestbed(Mode mode, Path envFile, TestbedEnv env) {

    public enum Mode { LOCAL, CLUSTER }

    public static Path localEnvFile(Path root) {
        return root.resolve("target/local/local.env");
    }

    public static Path clusterEnvFile(Path root) {
        return clusterEnvFile(root, Project.DEFAULT_NAME);
    }

    /** The env file of the cluster testbed {@code name} ({@code make up NAME=...}), where the launcher writes it. */
    public static Path clusterEnvFile(Path root, String name) {
        return new Project(root, "-").stateDir(name).resolve(TestbedEnv.FILE_NAME);
    }

    /** The running testbed, or empty if neither file exists (or the one {@code mode} names does not). */
    public static Optional<RunningTestbed> find(Path root, Optional<String> mode) {
        return find(root, mode, Project.DEFAULT_NAME);
    }

    /** {@link #find(Path, Optional)} with the cluster testbed named {@code name}. */
    public static Optional<RunningTestbed> find(Path root, Optional<String> mode, String name) {
        Path clusterFile = clusterEnvFile(root, name);
        Optional<TestbedEnv> local = TestbedEnv.read(localEnvFile(root));
        Optional<TestbedEnv> cluster = TestbedEnv.read(clusterFile);
        if (mode.isPresent()) {
            return mode.get().equals("local")
                    ? local.map(e -> new RunningTestbed(Mode.LOCAL, localEnvFile(root), e))
                    : cluster.map(e -> new RunningTestbed(Mode.CLUSTER, clusterFile, e));
        }
        if (cluster.isPresent()) {
            return Optional.of(new RunningTestbed(Mode.CLUSTER, clusterFile, cluster.get()));
        }
        return local.map(e -> new RunningTestbed(Mode.LOCAL, localEnvFile(root), e));
    }

    /** {@link #find}, or a message that says how to start one. */
    public static RunningTestbed require(Path root, Optional<String> mode) {
        return require(root, mode, Project.DEFAULT_NAME);
    }

    /** {@link #find(Path, Optional, String)}, or a message that says how to start one. */
    public static RunningTestbed require(Path root, Optional<String> mode, String name) {
        return find(root, mode, name).orElseThrow(() -> new LoadTestException(mode.map(m -> "MODE=" + m + ": ").orElse("")
                + "no running testbed (neither " + root.relativize(localEnvFile(root)) + " nor "
                + root.relativize(clusterEnvFile(root, name)) + " exists): start one with `make local` (local mode) or "
                + "`make up` (a cluster), or give TARGET=http://host:port and WEIGHTS=v1=80,v2=20"));
    }

    /** The ingress gateway's base URL, {@code http://host:port}. */
    public String gatewayUrl() {
        return url("GATEWAY_URL");
    }

    /** The app's own NodePort (the hop with no proxy); a cluster only. */
    public String appNodePortUrl() {
        if (mode == Mode.LOCAL) {
            throw new LoadTestException("the local testbed has no NodePort and no kube-proxy: DirectNodePort needs the "
                    + "cluster testbed (`make up`), or TARGET= and WEIGHTS= for an address of your own");
        }
        return url("APP_URL");
    }

    /**
     * The gateway's admin listener (config dump, metrics), {@code http://host:port}: the local
     * testbed's; a cluster's listens on its pod's loopback only, out of reach from here.
     */
    public Optional<String> adminUrl() {
        return env.get("ADMIN_URL").map(RunningTestbed::withScheme);
    }

    /** The local gateway's watched config directory. */
    public Path configDir() {
        return Path.of(env.require("CONFIG_DIR"));
    }

    private String url(String key) {
        return withScheme(env.get(key).orElseThrow(() -> new LoadTestException(envFile + " has no " + key
                + " (written by an older launcher? run it again)")));
    }

    private static String withScheme(String address) {
        return address.startsWith("http://") || address.startsWith("https://") ? address : "http://" + address;
    }

    public String describe() {
        return (mode == Mode.LOCAL ? "local testbed" : "cluster testbed") + " (" + envFile + ")";
    }
}
