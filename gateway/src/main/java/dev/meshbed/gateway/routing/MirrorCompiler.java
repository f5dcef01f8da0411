package dev.meshbed.gateway.routing;

import dev.meshbed.gateway.config.IstioResource;
import dev.meshbed.gateway.config.Rejection;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMirrorPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.Percent;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code HTTPRoute.mirror} (with {@code mirrorPercentage}, or the deprecated integer
 * {@code mirrorPercent}) and {@code mirrors[]} to {@link Mirror}s, as Istio turns them into
 * Envoy's {@code request_mirror_policies}: a percentage left out means 100 %.
 */
final class MirrorCompiler {

    private MirrorCompiler() {
    }

    static List<Mirror> compile(IstioResource<?> vs, String field, HTTPRoute r, ClusterFactory clusters,
            List<Rejection> problems) {
        List<Mirror> out = new ArrayList<>();
        if (r.getMirror() != null) {
            double percent = r.getMirrorPercentage() != null ? value(r.getMirrorPercentage())
                    : r.getMirrorPercent() != null ? r.getMirrorPercent() : 100;
            out.add(new Mirror(clusters.forDestination(vs, field + ".mirror", r.getMirror(), problems),
                    clamp(percent)));
        }
        List<HTTPMirrorPolicy> mirrors = r.getMirrors();
        for (int i = 0; i < mirrors.size(); i++) {
            HTTPMirrorPolicy m = mirrors.get(i);
            if (m.getDestination() == null) {
                continue; // rejected by validation
            }
            double percent = m.getPercentage() == null ? 100 : value(m.getPercentage());
            out.add(new Mirror(clusters.forDestination(vs, field + ".mirrors[" + i + "].destination",
                    m.getDestination(), problems), clamp(percent)));
        }
        return out;
    }

    private static double value(Percent p) {
        return p.getValue() == null ? 0 : p.getValue();
    }

    private static double clamp(double percent) {
        return Double.isNaN(percent) ? 0 : Math.max(0, Math.min(100, percent));
    }
}
