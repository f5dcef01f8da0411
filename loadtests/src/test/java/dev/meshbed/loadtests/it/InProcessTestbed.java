package dev.meshbed.loadtests.it;

import dev.meshbed.gateway.Gateway;
import dev.meshbed.gateway.admin.AdminAddress;
import dev.meshbed.gateway.proxy.AccessLog;
import dev.meshbed.gateway.proxy.Transport;
import dev.meshbed.gateway.routing.ListenerSpec;
import dev.meshbed.gateway.routing.RandomSource;
import dev.meshbed.gateway.source.DirectorySource;
import dev.meshbed.sample.SampleConfig;
import dev.meshbed.sample.SampleServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@code make local} starts, in this JVM and on free ports: v1, v2 and the gateway watching a
 * copy of manifests/local, with the {@code target/local/local.env} the simulations read, under a
 * root of its own.
 */
final class InProcessTestbed implements AutoCloseable {

    static final Path PROJECT = Path.of(System.getProperty("loadtest.root", "..")).toAbsolutePath().normalize();

    final Path root;
    final Path configDir;
    private final SampleServer v1;
    private final SampleServer v2;
    private final Gateway gateway;

    private InProcessTestbed(Path root, Path configDir, SampleServer v1, SampleServer v2, Gateway gateway) {
        this.root = root;
        this.configDir = configDir;
        this.v1 = v1;
        this.v2 = v2;
        this.gateway = gateway;
    }

    static InProcessTestbed start(Path root) throws Exception {
        Path local = Files.createDirectories(root.resolve("target/local"));
        Path config = Files.createDirectories(local.resolve("config"));
        SampleServer v1 = SampleServer.start(SampleConfig.local("v1"));
        SampleServer v2 = SampleServer.start(SampleConfig.local("v2"));
        try (var files = Files.list(PROJECT.resolve("manifests/local"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                Files.writeString(config.resolve(f.getFileName()), Files.readString(f)
                        .replace("http: 18081", "http: " + v1.port()).replace("http: 18082", "http: " + v2.port()));
            }
        }
        Gateway g = Gateway.start(new Gateway.Settings(new DirectorySource(config), List.of(new ListenerSpec(0, 0)),
                "127.0.0.1", 0, AdminAddress.loopback(0), Map.of("istio", "ingressgateway"), Transport.select("auto"), 2, 2000, AccessLog.off(),
                RandomSource.threadLocal()));
        g.awaitFirstTable();
        Files.writeString(local.resolve("local.env"), String.join("\n",
                "MESHBED_MODE=local",
                "GATEWAY_URL=http://127.0.0.1:" + g.port(0),
                "ADMIN_URL=http://127.0.0.1:" + g.adminPort(),
                "STATUS_URL=http://127.0.0.1:" + g.statusPort() + "/healthz/ready",
                "CONFIG_DIR=" + config,
                "V1_URL=http://127.0.0.1:" + v1.port(),
                "V2_URL=http://127.0.0.1:" + v2.port(), ""));
        return new InProcessTestbed(root, config, v1, v2, g);
    }

    String gatewayUrl() {
        return "http://127.0.0.1:" + gateway.port(0);
    }

    String adminUrl() {
        return "http://127.0.0.1:" + gateway.adminPort();
    }

    /** The status port's base URL (readiness only). */
    String statusUrl() {
        return "http://127.0.0.1:" + gateway.statusPort();
    }

    String v1Url() {
        return "http://127.0.0.1:" + v1.port();
    }

    @Override
    public void close() throws IOException {
        gateway.stop(0);
        v1.close();
        v2.close();
    }
}
