package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The hint when bridge netfilter is off in the k3s node, and none when it is on. */
class BridgeNetfilterTest {

    @Test
    void aMissingSettingMeansNoBrNetfilterOnTheHost() {
        assertThat(BridgeNetfilter.hint(null)).get().asString()
                .startsWith("/proc/sys/net/bridge/bridge-nf-call-iptables is missing in the k3s node: the Docker "
                        + "host has not loaded br_netfilter (Docker 27.3+ no longer always loads it)")
                .contains("masquerade-all=true", "sudo modprobe br_netfilter", "make down && make up")
                .doesNotContain("\n");
    }

    @Test
    void zeroMeansOff() {
        assertThat(BridgeNetfilter.hint("0\n")).get().asString()
                .startsWith("/proc/sys/net/bridge/bridge-nf-call-iptables is 0 in the k3s node")
                .contains("sudo modprobe br_netfilter");
    }

    @Test
    void oneNeedsNoHint() {
        assertThat(BridgeNetfilter.hint("1")).isEmpty();
        assertThat(BridgeNetfilter.hint("1\n")).isEmpty();
    }
}
