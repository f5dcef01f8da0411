package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The checks every identified resource goes through, wherever it comes from (a YAML file, the
 * Kubernetes API): Jackson conversion into fabric8's model (wrong types), the strict check
 * (unknown fields, bad enum values), then Istio's semantic rules. Thread-safe.
 */
final class ResourceConverter {

    /** Either an accepted resource or the problems that reject it. */
    record Outcome(IstioResource<?> resource, List<Problem> problems) {
    }

    private final KubernetesSerialization serialization;
    private final ModelIntrospector model;
    private final StrictModelChecker checker;
    private final ResourceValidator validator;
    private final ConversionErrors conversionErrors;

    ResourceConverter(KubernetesSerialization serialization, ModelIntrospector model) {
        this.serialization = requireNonNull(serialization, "serialization");
        this.model = requireNonNull(model, "model");
        this.checker = new StrictModelChecker(model);
        this.validator = new ResourceValidator();
        this.conversionErrors = new ConversionErrors(model);
    }

    /** Converts the plain value {@code raw} (Maps, Lists, scalars) of the resource {@code key}. */
    Outcome convert(ResourceKey key, String apiVersion, Map<?, ?> raw, Origin origin) {
        if (raw.get("spec") == null) {
            return new Outcome(null, List.of(new Problem("spec", "required")));
        }
        HasMetadata typed;
        try {
            typed = serialization.convertValue(raw, key.kind().resourceClass());
        } catch (RuntimeException e) {
            return new Outcome(null, List.of(conversionErrors.describe(e, raw)));
        }
        Object spec = model.describe(typed.getClass()).properties().get("spec").valueIn(typed);
        // The validator reasons about the model; when the model lost part of the input (unknown
        // fields, dropped enum values) its findings would be consequences, not causes.
        List<Problem> problems = checker.check(raw, typed);
        if (problems.isEmpty()) {
            problems = validator.validate(key.kind(), spec);
        }
        if (problems.isEmpty()) {
            problems = exportTo(key, spec);
        }
        if (key.kind() == IstioKind.GATEWAY && !HostSyntax.isDnsLabel(key.name())) {
            // Istio: a Gateway's name is a DNS label (VirtualServices name it as namespace/name).
            problems = new java.util.ArrayList<>(problems);
            problems.add(0, new Problem("metadata.name", "\"" + key.name()
                    + "\" is not a valid Gateway name (expected: a DNS label, without dots)"));
        }
        if (!problems.isEmpty()) {
            return new Outcome(null, problems);
        }
        ObjectMeta metadata = typed.getMetadata() == null ? new ObjectMeta() : typed.getMetadata();
        return new Outcome(new IstioResource<>(key, apiVersion, labels(metadata), metadata.getCreationTimestamp(),
                metadata.getGeneration() == null ? 0 : metadata.getGeneration(), spec, origin), List.of());
    }

    /** Istio's exportTo rules need the resource's namespace, which the spec does not hold. */
    private static List<Problem> exportTo(ResourceKey key, Object spec) {
        Problems problems = new Problems();
        if (spec instanceof io.fabric8.istio.api.api.networking.v1alpha3.VirtualService vs) {
            ExportTo.validate(key.namespace(), vs.getExportTo(), false, false, problems);
        } else if (spec instanceof io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule dr) {
            ExportTo.validate(key.namespace(), dr.getExportTo(), false, dr.getWorkloadSelector() != null, problems);
        } else if (spec instanceof io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry se) {
            ExportTo.validate(key.namespace(), se.getExportTo(), true, false, problems);
        }
        return problems.toList();
    }

    /** Label values written as {@code ~} arrive as null; Kubernetes reads them as empty strings. */
    private static Map<String, String> labels(ObjectMeta metadata) {
        if (metadata.getLabels() == null) {
            return Map.of();
        }
        return metadata.getLabels().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                e -> e.getValue() == null ? "" : e.getValue(), (a, b) -> b, LinkedHashMap::new));
    }
}
