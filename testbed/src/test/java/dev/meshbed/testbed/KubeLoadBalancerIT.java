package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * {@code make up CLUSTER=kube LB=on}: the cluster built from modules with MetalLB's controller
 * ({@link ClusterEdgeChecks}): the gateway's Service gets an address of the pool, the LoadBalancer
 * path is taken, and kube-proxy forwards that address to the gateway.
 */
class KubeLoadBalancerIT extends ClusterEdgeChecks {

    @Override
    String name() {
        return "it-kube-lb";
    }

    @Override
    String skipReason() {
        return KubeSuite.skipReason();
    }

    @Override
    Testbed.UpOptions options() {
        return Testbed.UpOptions.kube(KubeSuite.binary()).withName(name()).withLoadBalancer(true);
    }

    @Override
    String suite() {
        return "real-cluster suite (LB=on)";
    }

    @Test
    @Order(0)
    void metalLbAssignsAnAddressOfItsPool() {
        KubeLayout layout = KubeLayout.of(name(), project.stateDir(name()).resolve("kube-logs"));
        assertThat(up.env().values()).containsEntry("MESHBED_MODE", "kube");
        assertThat(up.ingress().host()).startsWith("10.214." + layout.subnet() + ".");
        assertThat(client.apps().deployments().inNamespace(KubeLoadBalancer.NAMESPACE).withName("controller").get()
                .getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .startsWith(KubeLoadBalancer.IMAGE_REPOSITORY + ":");
    }
}
