package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What one source unit (a YAML file) yielded: the resources that passed per-resource validation,
 * the rejections, and whether the unit as a whole was unreadable (a YAML syntax error, an I/O
 * error). When it was, nothing is known about its resources, so the ones it held before keep
 * their last accepted versions.
 *
 * @param source the file name relative to the config directory (as shown in messages)
 * @param unreadable true when the file could not be read or parsed at all
 * @param resources resources that passed per-resource validation
 * @param rejections problems found, with the resource key where it could be identified
 * @param ignored documents deliberately skipped (other kinds), one line each, for the dump
 * @param services Kubernetes Services with their endpoints (cluster mode; empty for files)
 */
public record ParsedSource(
        String source,
        boolean unreadable,
        List<IstioResource<?>> resources,
        List<Rejection> rejections,
        List<String> ignored,
        List<ServiceEndpoints> services) {

    public ParsedSource {
        requireNonNull(source, "source");
        resources = List.copyOf(resources);
        rejections = List.copyOf(rejections);
        ignored = List.copyOf(ignored);
        services = List.copyOf(services);
    }

    /** What a file yields: Istio resources only. */
    public ParsedSource(String source, boolean unreadable, List<IstioResource<?>> resources,
            List<Rejection> rejections, List<String> ignored) {
        this(source, unreadable, resources, rejections, ignored, List.of());
    }
}
