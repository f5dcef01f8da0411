package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;

/** Identity of an Istio resource: kind, namespace and name, as {@code kubectl} would name it. */
public record ResourceKey(IstioKind kind, String namespace, String name) implements Comparable<ResourceKey> {

    public static final String DEFAULT_NAMESPACE = "default";

    private static final Comparator<ResourceKey> ORDER = Comparator.comparing(ResourceKey::kind)
            .thenComparing(ResourceKey::namespace)
            .thenComparing(ResourceKey::name);

    public ResourceKey {
        requireNonNull(kind, "kind");
        requireNonNull(namespace, "namespace");
        requireNonNull(name, "name");
    }

    @Override
    public int compareTo(ResourceKey o) {
        return ORDER.compare(this, o);
    }

    /** {@code VirtualService default/reviews}. */
    @Override
    public String toString() {
        return kind.kindName() + " " + namespace + "/" + name;
    }
}
