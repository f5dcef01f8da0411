package dev.meshbed.gateway.source;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts "this resource was rejected, and why" as a core/v1 Warning Event whose involvedObject is
 * the resource: {@code kubectl describe} and {@code kubectl get events} show it where users look.
 */
final class RejectionEvents {

    static final String REASON = "Rejected";
    static final String COMPONENT = "meshbed-gateway";

    private static final Logger log = LoggerFactory.getLogger(RejectionEvents.class);

    private RejectionEvents() {
    }

    static void post(KubernetesClient client, HasMetadata resource, String message, String instance) {
        String now = Instant.now().toString();
        String ns = resource.getMetadata().getNamespace();
        Event event = new EventBuilder()
                .withNewMetadata()
                .withGenerateName(resource.getMetadata().getName() + ".")
                .withNamespace(ns)
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(resource.getApiVersion())
                        .withKind(resource.getKind())
                        .withName(resource.getMetadata().getName())
                        .withNamespace(ns)
                        .withUid(resource.getMetadata().getUid())
                        .withResourceVersion(resource.getMetadata().getResourceVersion())
                        .build())
                .withType("Warning")
                .withReason(REASON)
                .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
                .withNewSource().withComponent(COMPONENT).withHost(instance).endSource()
                .withReportingComponent(COMPONENT)
                .withReportingInstance(instance)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .build();
        try {
            client.v1().events().inNamespace(ns).resource(event).create();
        } catch (KubernetesClientException e) {
            log.warn("could not post the rejection of {} {}/{} as an Event: {}", resource.getKind(), ns,
                    resource.getMetadata().getName(), e.getMessage());
        }
    }
}
