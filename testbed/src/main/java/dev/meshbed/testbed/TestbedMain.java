package dev.meshbed.testbed;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code java -jar testbed/target/testbed.jar up|down|status|weights} (scripts/testbed.sh, behind
 * {@code make up}, {@code make down}, {@code make status}, {@code make weights}).
 *
 * <p>Exit codes: 0 done; 1 failed on the way; 2 usage; 3 something needed is missing here (Docker,
 * the k3s image and no pull of it, a tarball, the cluster): nothing was started.
 *
 * <p>{@code up} in k3s mode ends the JVM with {@link Runtime#halt}, skipping shutdown hooks, once it
 * has started the cluster (also when a later step fails, so that the cluster can be looked at):
 * Testcontainers without Ryuk removes every container of its session in a shutdown hook, and the
 * cluster must outlive the launcher. An interrupt (Ctrl-C) while {@code up} runs lets that hook
 * remove the half-started cluster.
 */
@Command(name = "testbed", mixinStandardHelpOptions = true, versionProvider = TestbedMain.Version.class,
        description = "meshbed's cluster testbed: k3s through Testcontainers (or the cluster KUBECONFIG names), "
                + "the gateway and the sample app deployed, the ingress address resolved as Istio's docs do.",
        subcommands = {TestbedMain.Up.class, TestbedMain.Down.class, TestbedMain.Status.class,
                TestbedMain.Weights.class})
public final class TestbedMain implements Callable<Integer> {

    @Option(names = "--root", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
            description = "The meshbed project (default: the nearest folder with manifests/ at or above the working "
                    + "directory).")
    Path root;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = Project.DEFAULT_NAME,
            scope = CommandLine.ScopeType.INHERIT,
            description = "The testbed's name: its container label and state folder (default: ${DEFAULT-VALUE}).")
    String name;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Testcontainers and docker-java log at INFO through slf4j-simple; the launcher says what matters itself.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "false");
        // "Ryuk has been disabled": on purpose here (the cluster must outlive the launcher)
        System.setProperty("org.slf4j.simpleLogger.log.org.testcontainers.utility.ResourceReaper", "error");
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.err.flush();
        if (Halt.requested) {
            Runtime.getRuntime().halt(code);
        }
        System.exit(code);
    }

    /** Runs a command line; the exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cmd = new CommandLine(new TestbedMain());
        cmd.setOut(new java.io.PrintWriter(out, true));
        cmd.setErr(new java.io.PrintWriter(err, true));
        cmd.setExecutionExceptionHandler((e, c, parsed) -> {
            if (e instanceof TestbedException te) {
                err.println("testbed: " + te.getMessage());
                return te.exitCode();
            }
            err.println("testbed: " + e);
            e.printStackTrace(err);
            return TestbedException.FAILED;
        });
        return cmd.execute(args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return TestbedException.USAGE;
    }

    Testbed testbed() {
        return new Testbed(Project.locate(root), System.out);
    }

    /** Set when the JVM must end without its shutdown hooks (a k3s cluster was started). */
    static final class Halt {
        static volatile boolean requested;
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Start the testbed: k3s (default) or the cluster KUBECONFIG names; deploy the gateway, "
                    + "the app and the routing; resolve the ingress address; write target/testbed/testbed.env.")
    static final class Up implements Callable<Integer> {
        @CommandLine.ParentCommand
        TestbedMain parent;

        @Option(names = "--cluster", paramLabel = "k3s|kube|kubeconfig", defaultValue = "k3s",
                description = "k3s: a k3s node in Docker (default); kube: the one-node Kubernetes built from its Go "
                        + "modules, on this host (Linux, root); kubeconfig: the cluster KUBECONFIG names.")
        String cluster;

        @Option(names = "--lb", paramLabel = "on|off",
                description = "k3s: ServiceLB on (the default), or off (--disable=servicelb); kube: MetalLB's "
                        + "controller on, or off (the default). Off: the LoadBalancer stays pending, clients use a "
                        + "node address and nodePort 31380.")
        String lb;

        @Option(names = "--kube-binary", paramLabel = "FILE",
                description = "kube: the multi-call Kubernetes binary (scripts/kube-build.sh prints its path).")
        Path kubeBinary;

        @Option(names = "--k3s-image", paramLabel = "IMAGE", defaultValue = K3sNode.DEFAULT_IMAGE,
                description = "The k3s image (default: ${DEFAULT-VALUE}).")
        String k3sImage;

        @Option(names = "--k3s-pull", paramLabel = "always|missing|never", defaultValue = "missing",
                description = "k3s: pull the k3s image when it is not in the local Docker engine (missing, the "
                        + "default), before every start (always), or never (a machine without registry access: a "
                        + "missing image stops up before anything starts).")
        String k3sPull;

        @Option(names = "--image-registry", paramLabel = "REGISTRY",
                description = "kubeconfig: the registry the images were pushed to (scripts/testbed.sh pushes them).")
        String imageRegistry;

        @Option(names = "--rollout-timeout", paramLabel = "SECONDS", defaultValue = "300",
                description = "How long the Deployments may take (default: ${DEFAULT-VALUE}).")
        int rolloutTimeout;

        @Option(names = "--lb-wait", paramLabel = "SECONDS",
                description = "How long to wait for a load balancer (default: 120 with ServiceLB, 10 without, 60 on "
                        + "a cluster of your own).")
        Integer lbWait;

        @Override
        public Integer call() {
            Testbed.UpOptions o = Testbed.UpOptions.k3s().withName(parent.name).withK3sImage(k3sImage)
                    .withK3sPull(K3sPull.parse(k3sPull)).withRolloutTimeout(Duration.ofSeconds(rolloutTimeout));
            switch (cluster.toLowerCase(java.util.Locale.ROOT)) {
                case "k3s", "kube" -> {
                    if (imageRegistry != null && !imageRegistry.isBlank()) {
                        throw new TestbedException("--image-registry: only with --cluster kubeconfig (" + cluster
                                + " imports the tarballs)", TestbedException.USAGE);
                    }
                    if ("kube".equalsIgnoreCase(cluster)) {
                        o = Testbed.UpOptions.kube(kubeBinary == null ? null : kubeBinary.toAbsolutePath())
                                .withName(parent.name).withRolloutTimeout(Duration.ofSeconds(rolloutTimeout));
                    }
                }
                case "kubeconfig" -> o = o.withCluster(imageRegistry);
                default -> throw new TestbedException("--cluster: " + cluster + " (expected: k3s, kube or kubeconfig)",
                        TestbedException.USAGE);
            }
            if (lb != null) {
                o = switch (lb.toLowerCase(java.util.Locale.ROOT)) {
                    case "on", "true", "1" -> o.withLoadBalancer(true);
                    case "off", "false", "0" -> o.withLoadBalancer(false);
                    default -> throw new TestbedException("--lb: " + lb + " (expected: on or off)",
                            TestbedException.USAGE);
                };
            }
            if (lbWait != null) {
                o = o.withLbWait(Duration.ofSeconds(lbWait));
            }
            Testbed testbed = parent.testbed();
            if (o.target() == Testbed.Target.K3S) {
                // From here on a cluster may exist that must outlive this JVM, also if a later step fails.
                Halt.requested = true;
            }
            try {
                testbed.up(o);
            } catch (TestbedException e) {
                if (e.exitCode() == TestbedException.FAILED && o.target() != Testbed.Target.KUBECONFIG) {
                    throw new TestbedException(e.getMessage() + "\nThe cluster is left as it is for a look (make "
                            + "status; KUBECONFIG=" + testbed.envFile(o.name()).resolveSibling("kubeconfig.yaml")
                            + " kubectl get pods -A); make down removes it.", e.exitCode());
                }
                throw e;
            }
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Remove what up started (found by label, also after a crash). Nothing to remove is fine.")
    static final class Down implements Callable<Integer> {
        @CommandLine.ParentCommand
        TestbedMain parent;

        @Option(names = "--all", description = "Every testbed's k3s container, whatever its name.")
        boolean all;

        @Override
        public Integer call() {
            parent.testbed().down(parent.name, all);
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "What runs, and where the edge is (each address asked once).")
    static final class Status implements Callable<Integer> {
        @CommandLine.ParentCommand
        TestbedMain parent;

        @Override
        public Integer call() {
            parent.testbed().status(parent.name);
            return 0;
        }
    }

    @Command(name = "weights", mixinStandardHelpOptions = true,
            description = "Replace VirtualService default/app in the running testbed.")
    static final class Weights implements Callable<Integer> {
        @CommandLine.ParentCommand
        TestbedMain parent;

        @Parameters(paramLabel = "W", description = "v1:v2 weights like 90:10, or a variant of "
                + "manifests/routing/variants/: 50-50, 100-0, header.")
        String weights;

        @Override
        public Integer call() {
            parent.testbed().weights(parent.name, weights.startsWith("W=") ? weights.substring(2) : weights);
            return 0;
        }
    }

    /** The version from testbed.properties. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"meshbed testbed " + Project.buildVersion()};
        }
    }
}
