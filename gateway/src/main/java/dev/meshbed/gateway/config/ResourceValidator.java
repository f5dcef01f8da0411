package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.Gateway;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import java.util.List;

/**
 * Semantic checks on one resource's typed spec, the ones istiod's validating webhook would make
 * and the model cannot express (ranges, required fields, exclusive options, regex and duration
 * syntax). Only what can be decided inside one resource: references to other resources (a subset
 * a DestinationRule must define, a Gateway a VirtualService names) are checked where routing is
 * compiled. Stateless and thread-safe.
 */
public final class ResourceValidator {

    /**
     * @param spec the spec in fabric8's shared class for {@code kind}, e.g. a v1alpha3 {@code VirtualService}
     * @return problems with paths from the resource root, e.g. {@code spec.http[0].route[1].weight}
     */
    public List<Problem> validate(IstioKind kind, Object spec) {
        requireNonNull(kind, "kind");
        requireNonNull(spec, "spec");
        if (!kind.specClass().isInstance(spec)) {
            throw new IllegalArgumentException(
                    "spec: " + spec.getClass().getName() + " (expected: " + kind.specClass().getName() + ")");
        }
        Problems problems = new Problems();
        switch (kind) {
            case GATEWAY -> GatewayValidator.validate((Gateway) spec, problems);
            case VIRTUAL_SERVICE -> VirtualServiceValidator.validate((VirtualService) spec, problems);
            case DESTINATION_RULE -> DestinationRuleValidator.validate((DestinationRule) spec, problems);
            case SERVICE_ENTRY -> ServiceEntryValidator.validate((ServiceEntry) spec, problems);
            case WORKLOAD_ENTRY -> WorkloadEntryValidator.validate((WorkloadEntry) spec, problems);
        }
        return problems.toList();
    }
}
