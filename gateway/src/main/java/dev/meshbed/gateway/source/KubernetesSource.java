package dev.meshbed.gateway.source;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.config.ApiResourceReader;
import dev.meshbed.gateway.config.IstioKind;
import dev.meshbed.gateway.config.IstioResource;
import dev.meshbed.gateway.config.Origin;
import dev.meshbed.gateway.config.ParsedSource;
import dev.meshbed.gateway.config.Rejection;
import dev.meshbed.gateway.config.ResourceKey;
import dev.meshbed.gateway.config.ServiceEndpoints;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Istio resources, Services, EndpointSlices and Pods from the Kubernetes API, through fabric8's
 * shared informers. Informer callbacks only signal a change; the config thread then reads the
 * informers' caches. Istio resources are read as generic resources, so that they go through the
 * same strict checks as files (the typed model would already have dropped unknown fields); each
 * is converted again only when its resourceVersion changes.
 *
 * <p>Rejections are reported as Warning Events on the rejected resource, so that
 * {@code kubectl describe virtualservice x} shows them. A lost API server is logged once; the
 * informers reconnect on their own and the last table keeps serving meanwhile.
 */
public final class KubernetesSource implements ConfigSource {

    private static final Logger log = LoggerFactory.getLogger(KubernetesSource.class);
    private static final Origin ORIGIN = new Origin("kubernetes", 0);
    private static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    private final KubernetesClient client;
    private final List<String> namespaces;
    private final String reportingInstance;
    private final ApiResourceReader reader = new ApiResourceReader();
    private final Map<IstioKind, List<SharedIndexInformer<GenericKubernetesResource>>> istio = new LinkedHashMap<>();
    private final List<SharedIndexInformer<Service>> services = new ArrayList<>();
    private final List<SharedIndexInformer<EndpointSlice>> slices = new ArrayList<>();
    private final List<SharedIndexInformer<Pod>> pods = new ArrayList<>();
    private final Map<String, Converted> converted = new ConcurrentHashMap<>();
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean connectionLost = new AtomicBoolean();
    private final ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "meshbed-kubernetes");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean synced;
    private volatile boolean closed;

    /** An Istio resource as last read, by uid: converted again only when its resourceVersion changes. */
    private record Converted(String resourceVersion, ApiResourceReader.Result result, GenericKubernetesResource object) {
    }

    /**
     * @param client a fabric8 client (in-cluster config in a pod, KUBECONFIG otherwise)
     * @param namespaces the namespaces to watch; empty for all
     * @param reportingInstance this gateway's name in Events (its pod name)
     */
    public KubernetesSource(KubernetesClient client, List<String> namespaces, String reportingInstance) {
        this.client = requireNonNull(client, "client");
        this.namespaces = List.copyOf(new java.util.LinkedHashSet<>(requireNonNull(namespaces, "namespaces")));
        this.reportingInstance = requireNonNull(reportingInstance, "reportingInstance");
    }

    @Override
    public void start(Runnable onChange) {
        ResourceEventHandler<HasMetadata> handler = new ResourceEventHandler<>() {
            @Override
            public void onAdd(HasMetadata obj) {
                changed(onChange);
            }

            @Override
            public void onUpdate(HasMetadata oldObj, HasMetadata newObj) {
                changed(onChange);
            }

            @Override
            public void onDelete(HasMetadata obj, boolean deletedFinalStateUnknown) {
                changed(onChange);
            }
        };
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (IstioKind kind : IstioKind.values()) {
            ResourceDefinitionContext context = new ResourceDefinitionContext.Builder()
                    .withGroup(IstioKind.GROUP).withVersion("v1").withKind(kind.kindName())
                    .withPlural(kind.plural()).withNamespaced(true).build();
            istio.put(kind, start(ns -> ns == null ? client.genericKubernetesResources(context).inAnyNamespace()
                    : client.genericKubernetesResources(context).inNamespace(ns), handler, started));
        }
        services.addAll(start(ns -> ns == null ? client.services().inAnyNamespace()
                : client.services().inNamespace(ns), handler, started));
        slices.addAll(start(ns -> ns == null ? client.discovery().v1().endpointSlices().inAnyNamespace()
                : client.discovery().v1().endpointSlices().inNamespace(ns), handler, started));
        // Pods matter for their labels only (readiness comes through EndpointSlices): their status
        // churn must not rebuild the table.
        ResourceEventHandler<Pod> podHandler = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod obj) {
                changed(onChange);
            }

            @Override
            public void onUpdate(Pod oldObj, Pod newObj) {
                if (!java.util.Objects.equals(oldObj.getMetadata().getLabels(), newObj.getMetadata().getLabels())) {
                    changed(onChange);
                }
            }

            @Override
            public void onDelete(Pod obj, boolean deletedFinalStateUnknown) {
                changed(onChange);
            }
        };
        pods.addAll(start(ns -> ns == null ? client.pods().inAnyNamespace()
                : client.pods().inNamespace(ns), podHandler, started));

        CompletableFuture.allOf(started.toArray(new CompletableFuture[0])).whenComplete((ok, failure) -> {
            if (failure != null) {
                if (!closed) {
                    log.error("the Kubernetes informers did not start: {}", failure.toString());
                }
                return;
            }
            log.info("Kubernetes informers synced ({}); {}", client.getMasterUrl(), describe());
            synced = true; // readiness waits for this: a table built before would be incomplete
            onChange.run();
        });
        background.scheduleWithFixedDelay(this::noticeReconnect, 1, 1, TimeUnit.SECONDS);
    }

    private void changed(Runnable onChange) {
        if (synced) {
            onChange.run();
        }
    }

    private <T extends HasMetadata> List<SharedIndexInformer<T>> start(Function<String, Informable<T>> source,
            ResourceEventHandler<? super T> handler, List<CompletableFuture<Void>> started) {
        List<SharedIndexInformer<T>> out = new ArrayList<>();
        List<String> scopes = namespaces.isEmpty() ? java.util.Collections.singletonList(null) : namespaces;
        for (String ns : scopes) {
            SharedIndexInformer<T> informer = source.apply(ns).runnableInformer(0);
            informer.exceptionHandler((isStarted, t) -> {
                if (connectionLost.compareAndSet(false, true)) {
                    if (synced) {
                        log.warn("lost the Kubernetes API server ({}); the last routing table keeps serving, retrying",
                                t.toString());
                    } else {
                        log.warn("cannot read from the Kubernetes API server ({}); not ready until every informer "
                                + "has synced, retrying", t.toString());
                    }
                }
                return true;
            });
            informer.addEventHandler(handler);
            started.add(informer.start().toCompletableFuture());
            out.add(informer);
        }
        return out;
    }

    /** Logs the end of an outage once every informer watches again. */
    private void noticeReconnect() {
        if (!connectionLost.get()) {
            return;
        }
        boolean watching = istio.values().stream().flatMap(List::stream).allMatch(SharedIndexInformer::isWatching)
                && services.stream().allMatch(SharedIndexInformer::isWatching)
                && slices.stream().allMatch(SharedIndexInformer::isWatching)
                && pods.stream().allMatch(SharedIndexInformer::isWatching);
        if (watching && connectionLost.compareAndSet(true, false)) {
            log.info("reconnected to the Kubernetes API server");
        }
    }

    @Override
    public List<ParsedSource> read() {
        List<IstioResource<?>> resources = new ArrayList<>();
        List<Rejection> rejections = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        for (Map.Entry<IstioKind, List<SharedIndexInformer<GenericKubernetesResource>>> e : istio.entrySet()) {
            for (SharedIndexInformer<GenericKubernetesResource> informer : e.getValue()) {
                for (GenericKubernetesResource r : informer.getStore().list()) {
                    ApiResourceReader.Result result = convert(e.getKey(), r);
                    seen.add(r.getMetadata().getUid());
                    if (result.resource() != null) {
                        resources.add(result.resource());
                    }
                    rejections.addAll(result.rejections());
                }
            }
        }
        converted.keySet().retainAll(seen);
        return List.of(new ParsedSource(ORIGIN.source(), false, resources, rejections, List.of(), serviceEndpoints()));
    }

    private ApiResourceReader.Result convert(IstioKind kind, GenericKubernetesResource r) {
        String uid = r.getMetadata().getUid();
        String version = r.getMetadata().getResourceVersion();
        Converted previous = uid == null ? null : converted.get(uid);
        if (previous != null && version != null && version.equals(previous.resourceVersion())) {
            return previous.result();
        }
        ResourceKey key = new ResourceKey(kind, namespaceOf(r), r.getMetadata().getName());
        @SuppressWarnings("unchecked")
        Map<String, Object> raw = client.getKubernetesSerialization().convertValue(r, Map.class);
        raw.remove("status");
        ApiResourceReader.Result result = reader.read(key, raw, ORIGIN);
        if (uid != null) {
            converted.put(uid, new Converted(version, result, r));
        }
        return result;
    }

    /** Services with the ready endpoints of their EndpointSlices, labelled with their Pods' labels. */
    private List<ServiceEndpoints> serviceEndpoints() {
        Map<String, List<EndpointSlice>> slicesByService = new HashMap<>();
        for (SharedIndexInformer<EndpointSlice> informer : slices) {
            for (EndpointSlice slice : informer.getStore().list()) {
                Map<String, String> labels = slice.getMetadata().getLabels();
                String service = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
                if (service != null) {
                    slicesByService.computeIfAbsent(namespaceOf(slice) + "/" + service, k -> new ArrayList<>()).add(slice);
                }
            }
        }
        List<ServiceEndpoints> out = new ArrayList<>();
        for (SharedIndexInformer<Service> informer : services) {
            for (Service svc : informer.getStore().list()) {
                String ns = namespaceOf(svc);
                List<ServiceEndpoints.Port> ports = new ArrayList<>();
                if (svc.getSpec() != null && svc.getSpec().getPorts() != null) {
                    for (ServicePort p : svc.getSpec().getPorts()) {
                        int target = p.getTargetPort() != null && p.getTargetPort().getIntVal() != null
                                ? p.getTargetPort().getIntVal() : 0;
                        ports.add(new ServiceEndpoints.Port(p.getName(), p.getPort() == null ? 0 : p.getPort(), target));
                    }
                }
                List<ServiceEndpoints.Endpoint> endpoints = new ArrayList<>();
                Set<String> addresses = new java.util.HashSet<>();
                for (EndpointSlice slice : slicesByService.getOrDefault(ns + "/" + svc.getMetadata().getName(), List.of())) {
                    Map<String, Integer> slicePorts = new HashMap<>();
                    if (slice.getPorts() != null) {
                        for (EndpointPort p : slice.getPorts()) {
                            if (p.getPort() != null) {
                                slicePorts.put(p.getName() == null ? "" : p.getName(), p.getPort());
                            }
                        }
                    }
                    if (slice.getEndpoints() == null) {
                        continue;
                    }
                    for (Endpoint ep : slice.getEndpoints()) {
                        // ready nil means unknown, to be read as ready (discovery.k8s.io/v1)
                        boolean ready = ep.getConditions() == null || ep.getConditions().getReady() == null
                                || ep.getConditions().getReady();
                        if (!ready || ep.getAddresses() == null || ep.getAddresses().isEmpty()) {
                            continue;
                        }
                        String address = ep.getAddresses().get(0);
                        if (!addresses.add(address + "|" + slicePorts)) {
                            continue;
                        }
                        ObjectReference ref = ep.getTargetRef();
                        Map<String, String> podLabels = Map.of();
                        String source = "EndpointSlice " + ns + "/" + slice.getMetadata().getName();
                        if (ref != null && "Pod".equals(ref.getKind())) {
                            String podNs = ref.getNamespace() == null ? ns : ref.getNamespace();
                            Pod pod = pod(podNs, ref.getName());
                            podLabels = pod == null || pod.getMetadata().getLabels() == null ? Map.of()
                                    : pod.getMetadata().getLabels();
                            source = "Pod " + podNs + "/" + ref.getName();
                        }
                        endpoints.add(new ServiceEndpoints.Endpoint(address, slicePorts, podLabels, source));
                    }
                }
                out.add(new ServiceEndpoints(ns, svc.getMetadata().getName(), ports, endpoints));
            }
        }
        return out;
    }

    private Pod pod(String namespace, String name) {
        for (SharedIndexInformer<Pod> informer : pods) {
            Pod p = informer.getIndexer().getByKey(namespace + "/" + name);
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    private static String namespaceOf(HasMetadata r) {
        String ns = r.getMetadata().getNamespace();
        return ns == null || ns.isEmpty() ? ResourceKey.DEFAULT_NAMESPACE : ns;
    }

    /** A Warning Event per rejection, once per resource version and message, posted off the config thread. */
    @Override
    public void reportRejections(List<Rejection> rejections) {
        Set<String> current = new java.util.HashSet<>();
        for (Rejection rejection : rejections) {
            ResourceKey key = rejection.key();
            if (key == null) {
                continue;
            }
            Converted c = converted.values().stream()
                    .filter(x -> key.name().equals(x.object().getMetadata().getName())
                            && key.namespace().equals(namespaceOf(x.object()))
                            && key.kind().kindName().equals(x.object().getKind()))
                    .findFirst().orElse(null);
            if (c == null) {
                continue;
            }
            String message = (rejection.field() == null ? "" : rejection.field() + ": ") + rejection.message();
            String id = c.object().getMetadata().getUid() + "|" + c.resourceVersion() + "|" + message;
            current.add(id);
            if (reported.add(id)) {
                background.execute(() -> RejectionEvents.post(client, c.object(), message, reportingInstance));
            }
        }
        reported.retainAll(current);
    }

    @Override
    public String describe() {
        return "Kubernetes API, " + (namespaces.isEmpty() ? "all namespaces" : "namespaces " + namespaces);
    }

    @Override
    public void close() {
        closed = true;
        istio.values().forEach(list -> list.forEach(SharedIndexInformer::stop));
        services.forEach(SharedIndexInformer::stop);
        slices.forEach(SharedIndexInformer::stop);
        pods.forEach(SharedIndexInformer::stop);
        background.shutdownNow();
    }
}
