package dev.meshbed.testbed;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether this host can run the cluster built from modules ({@code CLUSTER=kube}) right now: Linux,
 * root, the tools of a kube node, the image tarballs, and the Kubernetes binary in its cache
 * (scripts/kube-build.sh --check; {@code make test} builds it first where Go is installed). For
 * the real-cluster test tier, which skips with this reason (and fails in CI).
 */
public record KubeAvailability(Optional<Path> binary, List<String> problems) {

    /** Checks once per call; takes a second or two. */
    public static KubeAvailability check(Project project) {
        Exec.Result check = Exec.run(Duration.ofSeconds(60), project.root().resolve("scripts/kube-build.sh").toString(),
                "--check");
        Optional<Path> binary = check.ok()
                ? check.output().lines().reduce((a, b) -> b).map(String::strip).map(Path::of)
                : Optional.empty();
        Testbed.UpOptions o = Testbed.UpOptions.kube(binary.orElse(null)).withName("availability-check");
        List<String> problems = new ArrayList<>(new KubeSource(project, new PrintStream(new ByteArrayOutputStream()), o)
                .problems(Manifests.Images.local(project)));
        problems.removeIf(p -> p.startsWith("the Kubernetes binary") && p.contains("is missing"));
        if (binary.isEmpty() && problems.stream().noneMatch(p -> p.contains("needs Linux"))) {
            problems.add(0, "the Kubernetes binary is not built (scripts/kube-build.sh, or make test with Go installed)");
        }
        for (Path tarball : List.of(project.gatewayTarball(), project.appTarball())) {
            if (!Files.isRegularFile(tarball)) {
                problems.add(project.show(tarball) + " is not built (make images)");
            }
        }
        return new KubeAvailability(binary, List.copyOf(problems));
    }

    /** Null when the cluster can run, else the reasons in one line. */
    public String skipReason() {
        return problems.isEmpty() ? null : String.join("; ", problems);
    }
}
