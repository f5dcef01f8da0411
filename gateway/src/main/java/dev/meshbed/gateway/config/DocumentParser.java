package dev.meshbed.gateway.config;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads one YAML document into an accepted {@link IstioResource}, a list of rejections, or an
 * "ignored" note. The order of the steps matters: a document is identified first (so every
 * rejection can name the resource), then checked for what YAML loading would hide (duplicate
 * keys), converted by Jackson (wrong types), and finally checked strictly and semantically.
 * Thread-safe apart from the constructor passed in per file.
 */
final class DocumentParser {

    /** What the documents of one file yielded, in document order. */
    static final class Results {
        final List<IstioResource<?>> resources = new ArrayList<>();
        final List<Rejection> rejections = new ArrayList<>();
        final List<String> ignored = new ArrayList<>();
    }

    private static final String EXPECTED_API_VERSIONS = "one of " + IstioKind.GROUP + "/v1, v1beta1, v1alpha3";

    private final ResourceConverter converter;

    DocumentParser(KubernetesSerialization serialization, ModelIntrospector model) {
        this.converter = new ResourceConverter(serialization, model);
    }

    void parse(String source, DocumentNode document, PlainYamlConstructor constructor, Results out) {
        if (document.isEmpty()) {
            return;
        }
        Origin origin = new Origin(source, document.firstLine());
        if (!document.isMapping()) {
            String got = document.root() instanceof SequenceNode ? "a list" : "a scalar value";
            out.rejections.add(new Rejection(null, origin, null, "expected a mapping (a resource), got " + got));
            return;
        }
        List<Problem> identityProblems = new ArrayList<>();
        String apiVersion = text(document, identityProblems, "apiVersion");
        String kindName = text(document, identityProblems, "kind");
        String name = text(document, identityProblems, "metadata", "name");
        String namespace = text(document, identityProblems, "metadata", "namespace");
        if (namespace == null || namespace.isEmpty()) {
            namespace = ResourceKey.DEFAULT_NAMESPACE;
        }
        if (apiVersion == null || kindName == null) {
            rejectAll(null, document, origin, identityProblems, out);
            return;
        }
        Optional<IstioKind> kind = IstioKind.fromKindName(kindName);
        ResourceKey key = kind.isEmpty() || name == null || name.isEmpty() ? null
                : new ResourceKey(kind.get(), namespace, name);
        if (kind.isPresent() && !IstioKind.isIstioNetworking(apiVersion) && !IstioKind.isOtherOwner(apiVersion)) {
            // kubectl apply refuses it (no such resource type); read silently it would be dropped
            // and, for a Gateway, leave every request 404 NR.
            out.rejections.add(new Rejection(key, origin.atLine(document.lineOf("apiVersion")), "apiVersion",
                    apiVersion + " is not an API version of " + kindName + " (did you mean \""
                            + IstioKind.suggestApiVersion(apiVersion) + "\"?)"));
            return;
        }
        if (!IstioKind.isIstioNetworking(apiVersion) || kind.isEmpty()) {
            out.ignored.add(apiVersion + "/" + kindName + (name == null ? "" : " " + namespace + "/" + name)
                    + " (" + origin + "): " + IstioKind.whyIgnored(apiVersion, kindName));
            return;
        }
        if (!IstioKind.API_VERSIONS.contains(apiVersion)) {
            identityProblems.add(new Problem("apiVersion", apiVersion + " (expected: " + EXPECTED_API_VERSIONS + ")"));
        }
        if (key == null && identityProblems.stream().noneMatch(p -> p.fieldPath().equals("metadata.name"))) {
            identityProblems.add(new Problem("metadata.name", "required"));
        }
        if (!identityProblems.isEmpty()) {
            rejectAll(key, document, origin, identityProblems, out);
            return;
        }
        List<DocumentNode.NodeProblem> structural = document.structuralProblems();
        if (!structural.isEmpty()) {
            for (DocumentNode.NodeProblem problem : structural) {
                out.rejections.add(new Rejection(key, origin.atLine(problem.line()), problem.fieldPath(), problem.message()));
            }
            return;
        }
        parseResource(key, apiVersion, document, origin, constructor, out);
    }

    private void parseResource(ResourceKey key, String apiVersion, DocumentNode document, Origin origin,
            PlainYamlConstructor constructor, Results out) {
        Map<?, ?> raw;
        try {
            raw = (Map<?, ?>) constructor.construct(document.root());
        } catch (YAMLException e) {
            // Constructing can still fail on what composing accepts, e.g. an unknown !tag.
            int line = e instanceof MarkedYAMLException marked && marked.getProblemMark() != null
                    ? marked.getProblemMark().getLine() + 1 : origin.line();
            out.rejections.add(new Rejection(key, origin.atLine(line), null, problemText(e)));
            return;
        }
        ResourceConverter.Outcome outcome = converter.convert(key, apiVersion, raw, origin);
        if (outcome.resource() != null) {
            out.resources.add(outcome.resource());
        } else {
            rejectAll(key, document, origin, outcome.problems(), out);
        }
    }

    private static void rejectAll(ResourceKey key, DocumentNode document, Origin origin, List<Problem> problems,
            Results out) {
        for (Problem problem : problems) {
            boolean hasPath = !problem.fieldPath().isEmpty();
            int line = hasPath ? document.lineOf(problem.fieldPath()) : origin.line();
            out.rejections.add(new Rejection(key, origin.atLine(line), hasPath ? problem.fieldPath() : null,
                    problem.message()));
        }
    }

    /**
     * The text of an identifying scalar ({@code kind}, {@code metadata.name}, ...), or null when
     * absent. A missing apiVersion or kind is reported here; a non-scalar value always is.
     */
    private static String text(DocumentNode document, List<Problem> problems, String... keys) {
        String path = String.join(".", keys);
        Optional<Node> node = document.find(keys);
        if (node.isPresent() && !(node.get() instanceof ScalarNode)) {
            String got = node.get() instanceof SequenceNode ? "a list" : "a mapping";
            problems.add(new Problem(path, "expected a string, got " + got));
            return null;
        }
        String value = node.filter(n -> !n.getTag().equals(Tag.NULL))
                .map(n -> ((ScalarNode) n).getValue())
                .filter(v -> !v.isEmpty())
                .orElse(null);
        if (value == null && (path.equals("apiVersion") || path.equals("kind"))) {
            problems.add(new Problem(path, "required"));
        }
        return value;
    }

    static String problemText(YAMLException e) {
        if (e instanceof MarkedYAMLException marked && marked.getProblem() != null) {
            String problem = marked.getProblem().trim();
            if (marked.getContext() != null && marked.getContextMark() != null) {
                return problem + " (" + marked.getContext().trim() + " started on line "
                        + (marked.getContextMark().getLine() + 1) + ")";
            }
            return problem;
        }
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
