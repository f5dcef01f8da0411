package dev.meshbed.gateway.routing;

import java.util.Map;

/** Kubernetes-style label selection: every selector entry must be present with the same value. */
final class Labels {

    private Labels() {
    }

    static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        if (selector == null || selector.isEmpty()) {
            return true;
        }
        if (labels == null) {
            return false;
        }
        for (Map.Entry<String, String> e : selector.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
