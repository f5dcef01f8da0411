package dev.meshbed.testbed;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Where the testbed finds what it deploys: the project root (the folder with {@code manifests/}),
 * the build's version (the tag of both images, never {@code latest}), the image names and the
 * Jib tarballs, and where it keeps its state ({@code target/testbed/} for the default name).
 */
public record Project(Path root, String version) {

    /** The gateway image's repository; its tag is the project version. */
    public static final String GATEWAY_IMAGE = "meshbed/gateway";
    /** The sample app's image repository; its tag is the project version. */
    public static final String APP_IMAGE = "meshbed/sample-app";
    /** The testbed name that {@code make up} uses; others get a state folder of their own. */
    public static final String DEFAULT_NAME = "meshbed";

    public Project {
        requireNonNull(root, "root");
        requireNonNull(version, "version");
    }

    /**
     * The project at {@code explicitRoot} if given, else the system property {@code meshbed.root},
     * else the nearest folder at or above the working directory that holds {@code manifests/crds}.
     */
    public static Project locate(Path explicitRoot) {
        Path root = explicitRoot;
        if (root == null && System.getProperty("meshbed.root") != null) {
            root = Path.of(System.getProperty("meshbed.root"));
        }
        if (root == null) {
            for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
                if (Files.isDirectory(p.resolve("manifests/crds"))) {
                    root = p;
                    break;
                }
            }
        }
        if (root == null || !Files.isDirectory(root.resolve("manifests/crds"))) {
            throw new TestbedException("cannot find the meshbed project (a folder with manifests/crds) at or above "
                    + Path.of("").toAbsolutePath() + "; run from the project or pass --root", TestbedException.USAGE);
        }
        return new Project(root.toAbsolutePath().normalize(), buildVersion());
    }

    /** The version this launcher was built with (testbed.properties, filtered by Maven). */
    public static String buildVersion() {
        try (InputStream in = Project.class.getResourceAsStream("/testbed.properties")) {
            if (in == null) {
                throw new IllegalStateException("testbed.properties is missing from the classpath");
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "");
            if (v.isBlank() || v.contains("${")) {
                throw new IllegalStateException("testbed.properties has no version (was it filtered by Maven?)");
            }
            return v.trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path manifests() {
        return root.resolve("manifests");
    }

    /** {@code meshbed/gateway:<version>}, or {@code <registry>/meshbed/gateway:<version>}. */
    public String gatewayImage(String registry) {
        return image(registry, GATEWAY_IMAGE);
    }

    /** {@code meshbed/sample-app:<version>}, or {@code <registry>/meshbed/sample-app:<version>}. */
    public String appImage(String registry) {
        return image(registry, APP_IMAGE);
    }

    private String image(String registry, String repository) {
        String prefix = registry == null || registry.isBlank() ? "" : stripSlash(registry.trim()) + "/";
        return prefix + repository + ":" + version;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** The gateway image as Jib writes it ({@code jib:buildTar}). */
    public Path gatewayTarball() {
        return root.resolve("gateway/target/jib-image.tar");
    }

    /** The sample app image as Jib writes it ({@code jib:buildTar}). */
    public Path appTarball() {
        return root.resolve("sample-apps/target/jib-image.tar");
    }

    /** {@code target/testbed} for the default name, {@code target/testbed-<name>} otherwise. */
    public Path stateDir(String name) {
        return root.resolve("target").resolve(DEFAULT_NAME.equals(name) ? "testbed" : "testbed-" + name);
    }

    /** A path relative to the root where it lies under it (for messages), else absolute. */
    public String show(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        return abs.startsWith(root) ? root.relativize(abs).toString() : abs.toString();
    }
}
