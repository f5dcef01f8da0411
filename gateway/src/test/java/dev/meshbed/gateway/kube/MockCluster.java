package dev.meshbed.gateway.kube;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * fabric8's mock Kubernetes API server in CRUD mode (what {@code @EnableKubernetesMockClient(crud = true)}
 * sets up, built by hand so that it binds 127.0.0.1, lives as long as a test wants, and can delay
 * chosen responses), a client for it, and the objects cluster mode reads: Services, Pods,
 * EndpointSlices (with {@code targetRef} to their Pods) and Istio resources (networking.istio.io/v1,
 * through the generic API, as {@code kubectl apply} would store them).
 *
 * <p>The sample apps that stand in for pods all listen on 127.0.0.1, on different ports. Kubernetes
 * groups endpoints with the same ports into one EndpointSlice, so each stand-in pod gets a slice
 * of its own ({@code <service>-<pod>}).
 */
final class MockCluster implements AutoCloseable {

    static final String NS = "default";
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    /** The mock server logs every request at INFO through java.util.logging: kept to warnings (and a strong reference). */
    private static final java.util.logging.Logger MOCK_LOG = quiet("io.fabric8.mockwebserver.MockWebServer");

    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final DelayingDispatcher dispatcher;

    private MockCluster(KubernetesMockServer server, KubernetesClient client, DelayingDispatcher dispatcher) {
        this.server = server;
        this.client = client;
        this.dispatcher = dispatcher;
    }

    /** A mock API server on a free port of 127.0.0.1. */
    static MockCluster start() {
        return start(0);
    }

    /** A mock API server on {@code port} of 127.0.0.1 (0: a free one). */
    static MockCluster start(int port) {
        DelayingDispatcher dispatcher = new DelayingDispatcher();
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), port);
        KubernetesClient client = clientFor("http://127.0.0.1:" + server.getPort());
        return new MockCluster(server, client, dispatcher);
    }

    /** A client for the API server at {@code masterUrl}; ignores ~/.kube/config and in-cluster settings. */
    static KubernetesClient clientFor(String masterUrl) {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(masterUrl).withNamespace(NS)
                .withTrustCerts(true).withRequestTimeout(10_000).withConnectionTimeout(5_000).build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    KubernetesClient client() {
        return client;
    }

    /** {@code http://127.0.0.1:PORT} */
    String url() {
        return "http://127.0.0.1:" + server.getPort();
    }

    private static java.util.logging.Logger quiet(String name) {
        java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
        l.setLevel(java.util.logging.Level.WARNING);
        return l;
    }

    int port() {
        return server.getPort();
    }

    /**
     * Delays the body of the next {@code times} responses to requests that {@code which} accepts
     * by {@code delay} (the mock server's timer; nothing blocks).
     */
    void delay(Predicate<RecordedRequest> which, Duration delay, int times) {
        dispatcher.delay(which, delay, times);
    }

    /** Answers 403 Forbidden (a Status) to every request that {@code which} accepts, as RBAC would. */
    void forbid(Predicate<RecordedRequest> which) {
        dispatcher.forbid(which);
    }

    // ---- Services, Pods, EndpointSlices ---------------------------------------------------------

    /** A Service with one port: {@code port} named {@code http}, targetPort 8080 (as a Deployment would have). */
    Service service(String ns, String name, int port) {
        return client.services().inNamespace(ns).resource(new ServiceBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withNewSpec().addToSelector("app", name)
                .addNewPort().withName("http").withPort(port).withProtocol("TCP").withTargetPort(new IntOrString(8080))
                .endPort().endSpec().build()).create();
    }

    static Pod pod(String ns, String name, Map<String, String> labels) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("meshbed/sample-app").endContainer()
                .endSpec().build();
    }

    Pod createPod(String ns, String name, Map<String, String> labels) {
        return client.pods().inNamespace(ns).resource(pod(ns, name, labels)).create();
    }

    static Endpoint endpoint(String address, String podNs, String podName, Boolean ready) {
        return new EndpointBuilder().withAddresses(address)
                .withNewConditions().withReady(ready).withServing(ready).withTerminating(false).endConditions()
                .withNewTargetRef().withKind("Pod").withNamespace(podNs).withName(podName).endTargetRef()
                .build();
    }

    /** An EndpointSlice of {@code service} with one port named {@code http}. */
    static EndpointSlice slice(String ns, String name, String service, int port, List<Endpoint> endpoints) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).addToLabels(SERVICE_NAME_LABEL, service)
                .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(port).withProtocol("TCP").endPort()
                .withEndpoints(endpoints)
                .build();
    }

    EndpointSlice createSlice(EndpointSlice slice) {
        return client.discovery().v1().endpointSlices().inNamespace(slice.getMetadata().getNamespace())
                .resource(slice).create();
    }

    /**
     * A stand-in pod of {@code service}: Pod {@code podName} with {@code labels}, and its own
     * EndpointSlice {@code <service>-<podName>} with one ready endpoint 127.0.0.1:{@code port}.
     */
    void addPod(String ns, String service, String podName, Map<String, String> labels, int port) {
        createPod(ns, podName, labels);
        createSlice(slice(ns, sliceName(service, podName), service, port,
                List.of(endpoint("127.0.0.1", ns, podName, true))));
    }

    static String sliceName(String service, String podName) {
        return service + "-" + podName;
    }

    /** Sets {@code conditions.ready} (and serving) of every endpoint of the slice. */
    void setReady(String ns, String sliceName, boolean ready) {
        client.discovery().v1().endpointSlices().inNamespace(ns).withName(sliceName).edit(s -> {
            for (Endpoint e : s.getEndpoints()) {
                e.getConditions().setReady(ready);
                e.getConditions().setServing(ready);
            }
            return s;
        });
    }

    /** Replaces the endpoints of the slice (an empty list: scaled to zero). */
    void setEndpoints(String ns, String sliceName, List<Endpoint> endpoints) {
        client.discovery().v1().endpointSlices().inNamespace(ns).withName(sliceName).edit(s -> {
            s.setEndpoints(new ArrayList<>(endpoints));
            return s;
        });
    }

    EndpointSlice getSlice(String ns, String sliceName) {
        return client.discovery().v1().endpointSlices().inNamespace(ns).withName(sliceName).get();
    }

    // ---- Istio resources ------------------------------------------------------------------------

    static ResourceDefinitionContext istioContext(String kind) {
        String plural = switch (kind) {
            case "Gateway" -> "gateways";
            case "VirtualService" -> "virtualservices";
            case "DestinationRule" -> "destinationrules";
            case "ServiceEntry" -> "serviceentries";
            case "WorkloadEntry" -> "workloadentries";
            default -> throw new IllegalArgumentException("not an Istio networking kind: " + kind);
        };
        return new ResourceDefinitionContext.Builder().withGroup("networking.istio.io").withVersion("v1")
                .withKind(kind).withPlural(plural).withNamespaced(true).build();
    }

    /** Parses one Istio resource from YAML (namespace {@code default} unless the YAML names one). */
    GenericKubernetesResource parse(String yaml) {
        GenericKubernetesResource r = client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
        if (r.getMetadata().getNamespace() == null) {
            r.getMetadata().setNamespace(NS);
        }
        return r;
    }

    /** Creates the Istio resource, or replaces the one of that name (kubectl apply, roughly). */
    GenericKubernetesResource apply(String yaml) {
        GenericKubernetesResource r = parse(yaml);
        return client.genericKubernetesResources(istioContext(r.getKind())).inNamespace(r.getMetadata().getNamespace())
                .resource(r).createOr(NonDeletingOperation::update);
    }

    /**
     * Replaces the Istio resource with one PUT carrying {@code resourceVersion} (optimistic
     * concurrency, as kubectl replace does): one request, so that the time it is sent is the time
     * of the write.
     */
    GenericKubernetesResource replace(String yaml, String resourceVersion) {
        GenericKubernetesResource r = parse(yaml);
        r.getMetadata().setResourceVersion(resourceVersion);
        return client.genericKubernetesResources(istioContext(r.getKind())).inNamespace(r.getMetadata().getNamespace())
                .resource(r).update();
    }

    GenericKubernetesResource getIstio(String kind, String ns, String name) {
        return client.genericKubernetesResources(istioContext(kind)).inNamespace(ns).withName(name).get();
    }

    void deleteIstio(String kind, String ns, String name) {
        client.genericKubernetesResources(istioContext(kind)).inNamespace(ns).withName(name).delete();
    }

    /** Events of {@code ns} whose reason is {@code reason}. */
    List<Event> events(String ns, String reason) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason())).toList();
    }

    /** Reads a template from src/test/resources/kube/, with {@code ${key}} values replaced. */
    static String resource(String name, Object... keyValues) {
        try (InputStream in = MockCluster.class.getResourceAsStream("/kube/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource kube/" + name);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (int i = 0; i < keyValues.length; i += 2) {
                text = text.replace("${" + keyValues[i] + "}", String.valueOf(keyValues[i + 1]));
            }
            if (text.contains("${")) {
                throw new IllegalArgumentException("kube/" + name + ": a placeholder is left: " + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            server.destroy();
        }
    }

    /** The CRUD dispatcher, with optional delays for chosen requests. */
    static final class DelayingDispatcher extends KubernetesMixedDispatcher {
        private volatile Predicate<RecordedRequest> which = r -> false;
        private volatile Duration delay = Duration.ZERO;
        private final AtomicInteger remaining = new AtomicInteger();

        DelayingDispatcher() {
            super(new HashMap<>());
        }

        void delay(Predicate<RecordedRequest> which, Duration delay, int times) {
            this.which = which;
            this.delay = delay;
            remaining.set(times);
        }

        private volatile Predicate<RecordedRequest> forbidden = r -> false;

        void forbid(Predicate<RecordedRequest> which) {
            this.forbidden = which;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            if (forbidden.test(request)) {
                return new MockResponse().setResponseCode(403).setHeader("Content-Type", "application/json")
                        .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                                + "\"message\":\"forbidden by the test\",\"reason\":\"Forbidden\",\"code\":403}");
            }
            MockResponse response = super.dispatch(request);
            if (remaining.get() > 0 && which.test(request) && remaining.getAndDecrement() > 0) {
                response.setBodyDelay(delay);
            }
            return response;
        }
    }
}
