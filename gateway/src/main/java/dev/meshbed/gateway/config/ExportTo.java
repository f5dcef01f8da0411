package dev.meshbed.gateway.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Istio's rules for {@code exportTo} (VirtualService, DestinationRule, ServiceEntry): each entry
 * is {@code .} (this namespace), {@code *} (all), a namespace name, or for a ServiceEntry
 * {@code ~} (none); no entry twice ({@code .} counts as the resource's own namespace); {@code *}
 * and {@code ~} stand alone; a DestinationRule with a workloadSelector exports to its own
 * namespace only.
 */
final class ExportTo {

    private ExportTo() {
    }

    static void validate(String namespace, List<String> exportTo, boolean serviceEntry, boolean drWithSelector,
            Problems problems) {
        if (exportTo == null || exportTo.isEmpty()) {
            return;
        }
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < exportTo.size(); i++) {
            String entry = exportTo.get(i);
            String path = FieldPath.index("spec.exportTo", i);
            if (entry == null) {
                problems.add(path, "required");
                continue;
            }
            String key = entry.equals(".") ? namespace : entry;
            if (seen.contains(key)) {
                problems.add(path, "\"" + entry + "\" is listed twice" + (key.equals(entry) ? ""
                        : " (\".\" is this namespace, " + namespace + ")"));
                continue;
            }
            boolean valid = key.equals("*") || (serviceEntry && key.equals("~")) || HostSyntax.isDnsLabel(key);
            if (!valid) {
                problems.add(path, "\"" + entry + "\" (expected: ., *, " + (serviceEntry ? "~, " : "")
                        + "or a namespace name)");
                continue;
            }
            seen.add(key);
        }
        if (seen.contains("*") && exportTo.size() > 1) {
            problems.add("spec.exportTo", "\"*\" exports to every namespace (expected: \"*\" alone)");
        }
        if (seen.contains("~") && exportTo.size() > 1) {
            problems.add("spec.exportTo", "\"~\" exports to no namespace (expected: \"~\" alone)");
        }
        if (drWithSelector && !seen.isEmpty() && (!seen.contains(namespace) || seen.size() > 1)) {
            problems.add("spec.exportTo", "a DestinationRule with a workloadSelector is exported to its own"
                    + " namespace only (expected: [.])");
        }
    }
}
