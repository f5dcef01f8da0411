package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * One accepted Istio resource: its identity, the parts of its metadata routing needs, and its
 * spec in fabric8's shared (all API versions) spec class. Immutable by convention: specs are
 * never modified once read.
 *
 * @param <S> the spec class, e.g. {@code io.fabric8.istio.api.api.networking.v1alpha3.VirtualService}
 */
public record IstioResource<S>(
        ResourceKey key,
        String apiVersion,
        Map<String, String> labels,
        String creationTimestamp,
        long generation,
        S spec,
        Origin origin) {

    public IstioResource {
        requireNonNull(key, "key");
        requireNonNull(apiVersion, "apiVersion");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        requireNonNull(spec, "spec");
        requireNonNull(origin, "origin");
        if (!key.kind().specClass().isInstance(spec)) {
            throw new IllegalArgumentException(
                    "spec: " + spec.getClass().getName() + " (expected: " + key.kind().specClass().getName() + ")");
        }
    }

    public IstioKind kind() {
        return key.kind();
    }

    public String namespace() {
        return key.namespace();
    }

    public String name() {
        return key.name();
    }

    @Override
    public String toString() {
        return key + " (" + origin + ")";
    }
}
