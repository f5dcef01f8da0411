package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads Istio resources that come from the Kubernetes API as plain values (a generic resource's
 * map), with the same checks as files get: types, unknown fields, enum values, Istio's rules.
 * Thread-safe.
 */
public final class ApiResourceReader {

    /** The accepted resource, or null and the rejections. */
    public record Result(IstioResource<?> resource, List<Rejection> rejections) {
        public Result {
            rejections = List.copyOf(rejections);
        }
    }

    private final ResourceConverter converter;

    public ApiResourceReader() {
        ObjectMapper mapper = new ObjectMapper();
        this.converter = new ResourceConverter(new KubernetesSerialization(mapper, true), new ModelIntrospector(mapper));
    }

    /**
     * @param key the resource's identity (from its metadata)
     * @param raw the whole object as Maps, Lists and scalars: apiVersion, kind, metadata, spec
     * @param origin where it came from, e.g. {@code Origin("kubernetes", 0)}
     */
    public Result read(ResourceKey key, Map<String, Object> raw, Origin origin) {
        requireNonNull(key, "key");
        requireNonNull(raw, "raw");
        requireNonNull(origin, "origin");
        Object apiVersion = raw.get("apiVersion");
        ResourceConverter.Outcome outcome = converter.convert(key,
                apiVersion == null ? IstioKind.GROUP + "/v1" : apiVersion.toString(), raw, origin);
        if (outcome.resource() != null) {
            return new Result(outcome.resource(), List.of());
        }
        List<Rejection> rejections = new ArrayList<>();
        for (Problem p : outcome.problems()) {
            rejections.add(new Rejection(key, origin, p.fieldPath().isEmpty() ? null : p.fieldPath(), p.message()));
        }
        return new Result(null, rejections);
    }
}
