package dev.meshbed.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The admin listener's address: loopback, unless --expose-admin says otherwise. */
class AdminAddressTest {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.0.0.2", "::1", "localhost"})
    void loopbackAddressesAreAccepted(String host) {
        AdminAddress a = AdminAddress.of(host, 15000, false);
        assertThat(a.address().isLoopbackAddress()).isTrue();
        assertThat(a.reachableFromOtherHosts()).isFalse();
        assertThat(a.socketAddress().getPort()).isEqualTo(15000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "::", "10.1.2.3", "192.168.0.1"})
    void otherAddressesAreRefusedWithoutTheOptIn(String host) {
        assertThatThrownBy(() -> AdminAddress.of(host, 15000, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--admin-bind: ")
                .hasMessageContaining("expected: a loopback address")
                .hasMessageContaining("--expose-admin");
    }

    @Test
    void theOptInAllowsThemAndSaysSo() {
        AdminAddress a = AdminAddress.of("0.0.0.0", 15000, true);
        assertThat(a.reachableFromOtherHosts()).isTrue();
        assertThat(a.exposed()).isTrue();
        assertThat(a).hasToString("0.0.0.0:15000");
    }

    @Test
    void theDefaultIsIstiosEnvoyAdmin() {
        AdminAddress a = AdminAddress.of(AdminAddress.DEFAULT_HOST, AdminAddress.DEFAULT_PORT, false);
        assertThat(a).hasToString("127.0.0.1:15000");
        assertThat(AdminAddress.loopback(0)).hasToString("127.0.0.1:0");
        assertThat(AdminAddress.of("::1", 15000, false)).hasToString("[0:0:0:0:0:0:0:1]:15000");
    }

    @Test
    void portsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> AdminAddress.loopback(-3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--admin-port: -3 (expected: 0-65535)");
        assertThatThrownBy(() -> AdminAddress.loopback(65536)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--admin-port: 65536 (expected: 0-65535)");
    }
}
