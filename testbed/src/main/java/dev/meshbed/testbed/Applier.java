package dev.meshbed.testbed;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Applies manifests with server-side apply (field manager {@value #FIELD_MANAGER}, conflicts
 * forced: the testbed owns what it applies), and deletes them again. Resources of the Istio kinds
 * are applied through the generic API with the names their CRDs give.
 */
public final class Applier {

    public static final String FIELD_MANAGER = "meshbed-testbed";

    private final KubernetesClient client;
    private final PrintStream out;
    private final Map<String, ResourceDefinitionContext> contexts = new HashMap<>();

    /**
     * @param crds the CRDs whose kinds may be applied (their group, kind, plural and scope)
     */
    public Applier(KubernetesClient client, List<CustomResourceDefinition> crds, PrintStream out) {
        this.client = client;
        this.out = out;
        for (CustomResourceDefinition crd : crds) {
            for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
                String apiVersion = crd.getSpec().getGroup() + "/" + v.getName();
                contexts.put(apiVersion + "|" + crd.getSpec().getNames().getKind(), new ResourceDefinitionContext.Builder()
                        .withGroup(crd.getSpec().getGroup()).withVersion(v.getName())
                        .withKind(crd.getSpec().getNames().getKind()).withPlural(crd.getSpec().getNames().getPlural())
                        .withNamespaced("Namespaced".equals(crd.getSpec().getScope())).build());
            }
        }
    }

    /** Applies {@code r} and says so in one line. */
    public HasMetadata apply(HasMetadata r) {
        HasMetadata applied;
        try {
            try {
                applied = resource(r).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
            } catch (KubernetesClientException e) {
                // Kubernetes 1.22+ serves server-side apply. An API server without it (fabric8's
                // mock server, which the unit tests use) answers 415 for an existing resource and
                // 404 for a missing one: then a replace, or a create, does the same here.
                HasMetadata existing = e.getCode() == 404 || e.getCode() == 415 ? resource(r).get() : null;
                if (e.getCode() == 415 && existing != null) {
                    HasMetadata copy = client.getKubernetesSerialization().clone(r);
                    copy.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
                    applied = resource(copy).update();
                } else if (e.getCode() == 404 && existing == null) {
                    applied = resource(r).create();
                } else {
                    throw e;
                }
            }
        } catch (KubernetesClientException e) {
            throw new TestbedException("applying " + Manifests.describe(r) + ": " + message(e), e);
        }
        out.println("  applied " + Manifests.describe(r));
        return applied;
    }

    @SuppressWarnings("unchecked")
    private io.fabric8.kubernetes.client.dsl.Resource<HasMetadata> resource(HasMetadata r) {
        if (r instanceof GenericKubernetesResource g) {
            ResourceDefinitionContext ctx = contexts.get(g.getApiVersion() + "|" + g.getKind());
            if (ctx == null) {
                throw new TestbedException("no CRD in manifests/crds for " + g.getApiVersion() + " " + g.getKind(),
                        TestbedException.USAGE);
            }
            var op = client.genericKubernetesResources(ctx);
            return (io.fabric8.kubernetes.client.dsl.Resource<HasMetadata>) (io.fabric8.kubernetes.client.dsl.Resource<?>)
                    (ctx.isNamespaceScoped() ? op.inNamespace(namespace(g)).resource(g) : op.resource(g));
        }
        return (io.fabric8.kubernetes.client.dsl.Resource<HasMetadata>) (io.fabric8.kubernetes.client.dsl.Resource<?>)
                client.resource(r);
    }

    /** Applies the CRDs and waits until the API server serves them (condition Established). */
    public void applyCrds(List<CustomResourceDefinition> crds, Duration timeout) {
        crds.forEach(this::apply);
        if (crds.isEmpty()) {
            return;
        }
        try {
            await("CRDs established").atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(250))
                    .ignoreExceptionsMatching(e -> e instanceof KubernetesClientException)
                    .until(() -> crds.stream().allMatch(this::established));
        } catch (ConditionTimeoutException e) {
            throw new TestbedException("the CRDs were not Established within " + timeout.toSeconds() + " s",
                    TestbedException.FAILED);
        }
        out.println("  CRDs established");
    }

    private boolean established(CustomResourceDefinition crd) {
        CustomResourceDefinition live = client.apiextensions().v1().customResourceDefinitions()
                .withName(crd.getMetadata().getName()).get();
        return live != null && live.getStatus() != null && live.getStatus().getConditions() != null
                && live.getStatus().getConditions().stream()
                        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Deletes {@code r} if it exists; true if it did. */
    public boolean delete(HasMetadata r) {
        try {
            List<?> deleted = resource(r).delete();
            boolean any = deleted != null && !deleted.isEmpty();
            if (any) {
                out.println("  deleted " + Manifests.describe(r));
            }
            return any;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return false;
            }
            throw new TestbedException("deleting " + Manifests.describe(r) + ": " + message(e), e);
        }
    }

    private static String namespace(HasMetadata r) {
        String ns = r.getMetadata().getNamespace();
        return ns == null || ns.isBlank() ? "default" : ns;
    }

    static String message(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return e.getStatus().getMessage() + " (HTTP " + e.getCode() + ")";
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return e.getMessage() + (root != e ? " (" + root + ")" : "");
    }
}
