package dev.meshbed.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line's defaults where they decide who can reach what. */
class GatewayMainTest {

    @Test
    void theStatusPortIsOnBindAndTheAdminListenerOnLoopback() {
        GatewayMain main = new GatewayMain();
        new CommandLine(main).parseArgs("--config", "some/dir");
        assertThat(main.statusPort).as("--status-port").isEqualTo(15021);
        assertThat(main.bind).as("--bind").isEqualTo("0.0.0.0");
        assertThat(main.adminPort).as("--admin-port").isEqualTo(15000);
        assertThat(main.adminBind).as("--admin-bind").isEqualTo("127.0.0.1");
        assertThat(main.exposeAdmin).as("--expose-admin").isFalse();
    }

    @Test
    void exposeAdminIsAFlag() {
        GatewayMain main = new GatewayMain();
        new CommandLine(main).parseArgs("--config", "d", "--admin-bind", "0.0.0.0", "--expose-admin");
        assertThat(main.adminBind).isEqualTo("0.0.0.0");
        assertThat(main.exposeAdmin).isTrue();
    }
}
