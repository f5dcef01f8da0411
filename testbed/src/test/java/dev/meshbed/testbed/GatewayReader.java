package dev.meshbed.testbed;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The gateway's own strict reader of Istio YAML (dev.meshbed.gateway.config.IstioYamlReader), loaded
 * from gateway/target/gateway.jar in a class loader of its own: on this module's class path,
 * fabric8's typed Istio model (which the gateway brings) would change how the launcher reads the
 * manifests. Without the jar (the gateway not built), the test that uses it is skipped.
 */
final class GatewayReader implements AutoCloseable {

    private final URLClassLoader loader;
    private final Object reader;
    private final Method read;

    private GatewayReader(URLClassLoader loader) throws ReflectiveOperationException {
        this.loader = loader;
        Class<?> type = loader.loadClass("dev.meshbed.gateway.config.IstioYamlReader");
        this.reader = type.getConstructor().newInstance();
        this.read = type.getMethod("read", String.class, String.class);
    }

    static GatewayReader open(Project project) {
        Path jar = project.root().resolve("gateway/target/gateway.jar");
        if (!Files.isRegularFile(jar)) {
            System.out.println("gateway strict-reader check skipped: " + project.show(jar) + " is not built");
            assumeTrue(false, jar + " is not built");
        }
        try {
            return new GatewayReader(new URLClassLoader(new URL[] {jar.toUri().toURL()},
                    ClassLoader.getPlatformClassLoader()));
        } catch (Exception e) {
            throw new AssertionError("cannot load the gateway's reader from " + jar, e);
        }
    }

    /** The rejections (as the gateway describes them) of a YAML text. */
    List<String> rejections(String source, String yaml) {
        return call(source, yaml, "rejections").stream().map(Object::toString).toList();
    }

    /** How many resources passed. */
    int resources(String source, String yaml) {
        return call(source, yaml, "resources").size();
    }

    private List<?> call(String source, String yaml, String component) {
        try {
            Object parsed = read.invoke(reader, source, yaml);
            if ((Boolean) parsed.getClass().getMethod("unreadable").invoke(parsed)) {
                throw new AssertionError(source + " is unreadable to the gateway: "
                        + parsed.getClass().getMethod("rejections").invoke(parsed));
            }
            return (List<?>) parsed.getClass().getMethod(component).invoke(parsed);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() throws java.io.IOException {
        loader.close();
    }
}
