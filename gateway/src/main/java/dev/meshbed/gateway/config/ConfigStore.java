package dev.meshbed.gateway.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the last accepted version of every resource, so that a bad edit never takes working
 * routing away: a rejected resource is replaced by its last accepted version (or left out if it
 * never had one), and an unreadable file keeps contributing what it held before.
 *
 * <p>Used from the config thread only. The cycle per change is {@link #propose}, then (after the
 * routing compiler has cross-checked the snapshot) {@link #withdraw} for resources that failed
 * those checks, then {@link #commit} once the table built from the snapshot is installed.
 */
public final class ConfigStore {

    private Map<ResourceKey, IstioResource<?>> lastGood = Map.of();
    private long version;

    /** Builds a snapshot from what the sources hold now, falling back to last accepted versions. */
    public ConfigSnapshot propose(Collection<ParsedSource> sources) {
        Map<ResourceKey, IstioResource<?>> current = new LinkedHashMap<>();
        List<Rejection> rejections = new ArrayList<>();
        List<ServiceEndpoints> services = new ArrayList<>();
        List<String> ignored = new ArrayList<>();

        for (ParsedSource source : sources) {
            services.addAll(source.services());
            ignored.addAll(source.ignored());
            for (IstioResource<?> resource : source.resources()) {
                IstioResource<?> other = current.putIfAbsent(resource.key(), resource);
                if (other != null) {
                    rejections.add(new Rejection(resource.key(), resource.origin(), null,
                            "also defined in " + other.origin() + "; this definition is ignored"));
                }
            }
        }
        for (ParsedSource source : sources) {
            if (source.unreadable()) {
                keepWhatItHeld(source, current, rejections);
                continue;
            }
            // A rejected resource keeps serving its last accepted version, unless another valid
            // definition of the same resource exists.
            for (Rejection rejection : source.rejections()) {
                ResourceKey key = rejection.key();
                if (key != null && !current.containsKey(key) && lastGood.containsKey(key)) {
                    current.put(key, lastGood.get(key));
                    rejections.add(rejection.keepingLastGood());
                } else {
                    rejections.add(rejection);
                }
            }
        }
        return ConfigSnapshot.of(++version, current.values(), rejections, services).withIgnored(ignored);
    }

    /**
     * An unreadable file tells nothing about its resources: what it held keeps serving, and the
     * file's problem is reported against each of them, so the dump says which resource is stale.
     */
    private void keepWhatItHeld(ParsedSource source, Map<ResourceKey, IstioResource<?>> current,
            List<Rejection> rejections) {
        List<IstioResource<?>> kept = new ArrayList<>();
        for (IstioResource<?> previous : lastGood.values()) {
            if (previous.origin().source().equals(source.source()) && !current.containsKey(previous.key())) {
                current.put(previous.key(), previous);
                kept.add(previous);
            }
        }
        for (Rejection r : source.rejections()) {
            if (kept.isEmpty()) {
                rejections.add(r);
            }
            for (IstioResource<?> k : kept) {
                rejections.add(new Rejection(k.key(), r.origin(), r.field(), r.message()).keepingLastGood());
            }
        }
    }

    /**
     * Takes resources that failed cross-resource checks (a subset no DestinationRule defines, say)
     * out of {@code snapshot}. A new version goes back to its last accepted version, or out of the
     * snapshot when it has none. A version that was accepted before and only fails now because
     * another resource changed stays: routing then answers as Envoy would (503 NC) and says so.
     */
    public ConfigSnapshot withdraw(ConfigSnapshot snapshot, Collection<Rejection> failed) {
        if (failed.isEmpty()) {
            return snapshot;
        }
        Map<ResourceKey, List<Rejection>> byKey = new LinkedHashMap<>();
        for (Rejection r : failed) {
            byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
        }
        List<IstioResource<?>> kept = new ArrayList<>();
        List<Rejection> rejections = new ArrayList<>(snapshot.rejections());
        for (IstioResource<?> resource : snapshot.all()) {
            List<Rejection> problems = byKey.get(resource.key());
            IstioResource<?> previous = lastGood.get(resource.key());
            if (problems == null || sameContent(previous, resource)) {
                kept.add(resource);
            } else if (previous != null) {
                kept.add(previous);
                problems.forEach(r -> rejections.add(r.keepingLastGood()));
            } else {
                rejections.addAll(problems);
            }
        }
        return ConfigSnapshot.of(snapshot.version(), kept, rejections, snapshot.services())
                .withIgnored(snapshot.ignored());
    }

    private static boolean sameContent(IstioResource<?> a, IstioResource<?> b) {
        return a != null && b != null && a.key().equals(b.key()) && a.spec().equals(b.spec());
    }

    /** The resources of an installed snapshot become the last accepted versions. */
    public void commit(ConfigSnapshot installed) {
        Map<ResourceKey, IstioResource<?>> next = new HashMap<>();
        for (IstioResource<?> r : installed.all()) {
            next.put(r.key(), r);
        }
        lastGood = Map.copyOf(next);
    }
}
