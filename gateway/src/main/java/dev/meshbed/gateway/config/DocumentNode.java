package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One composed YAML document. SnakeYAML nodes remember where they were written, which the plain
 * Maps handed to Jackson do not; this class answers "which line is {@code spec.http[0].timeout}
 * on?" for messages, and finds what must be caught before the document is constructed
 * (duplicate keys, self-referencing aliases).
 */
final class DocumentNode {

    /** A structural problem, with the line to report (which may differ from the path's first occurrence). */
    record NodeProblem(String fieldPath, int line, String message) {
    }

    private final Node root;

    DocumentNode(Node root) {
        this.root = requireNonNull(root, "root");
    }

    Node root() {
        return root;
    }

    /** An empty document ({@code ---} with nothing, or only comments) composes to a null scalar. */
    boolean isEmpty() {
        return root instanceof ScalarNode && root.getTag().equals(Tag.NULL);
    }

    boolean isMapping() {
        return root instanceof MappingNode;
    }

    /** 1-based line where the document's content starts (after {@code ---} and comments). */
    int firstLine() {
        return lineOf(root);
    }

    /**
     * The 1-based line of the field at {@code path}: the line of its key for a mapping entry, of the
     * item for a list element. When the path leads outside the document (a checker may name a
     * field that is absent, such as a required one), the line of the deepest part that exists.
     */
    int lineOf(String path) {
        Node node = root;
        int line = firstLine();
        for (Object segment : FieldPath.parse(path)) {
            if (segment instanceof String key && node instanceof MappingNode mapping) {
                Optional<NodeTuple> entry = entry(mapping, key);
                if (entry.isEmpty()) {
                    break;
                }
                line = lineOf(entry.get().getKeyNode());
                node = entry.get().getValueNode();
            } else if (segment instanceof Integer index && node instanceof SequenceNode sequence
                    && index >= 0 && index < sequence.getValue().size()) {
                node = sequence.getValue().get(index);
                line = lineOf(node);
            } else {
                break;
            }
        }
        return line;
    }

    /** The node at a path of mapping keys, e.g. {@code ("metadata", "name")}. */
    Optional<Node> find(String... keys) {
        Node node = root;
        for (String key : keys) {
            if (!(node instanceof MappingNode mapping)) {
                return Optional.empty();
            }
            Optional<NodeTuple> entry = entry(mapping, key);
            if (entry.isEmpty()) {
                return Optional.empty();
            }
            node = entry.get().getValueNode();
        }
        return Optional.of(node);
    }

    /**
     * Duplicate keys (Kubernetes rejects them; a YAML loader would silently keep one) and aliases
     * that contain themselves (Jackson would recurse forever), in document order.
     */
    List<NodeProblem> structuralProblems() {
        List<NodeProblem> problems = new ArrayList<>();
        walk(root, "", Collections.newSetFromMap(new IdentityHashMap<>()), problems);
        return problems;
    }

    private void walk(Node node, String path, Set<Node> ancestors, List<NodeProblem> problems) {
        if (!ancestors.add(node)) {
            problems.add(new NodeProblem(path, lineOf(node), "an alias may not contain itself"));
            return;
        }
        if (node instanceof MappingNode mapping) {
            Map<String, Integer> firstLines = new HashMap<>();
            for (NodeTuple tuple : mapping.getValue()) {
                Node keyNode = tuple.getKeyNode();
                String key = keyNode instanceof ScalarNode scalar ? scalar.getValue() : null;
                if (key == null) {
                    continue;
                }
                String childPath = FieldPath.field(path, key);
                Integer first = firstLines.putIfAbsent(key, lineOf(keyNode));
                if (first != null) {
                    problems.add(new NodeProblem(childPath, lineOf(keyNode),
                            "duplicate key (first defined on line " + first + ")"));
                    continue;
                }
                walk(tuple.getValueNode(), childPath, ancestors, problems);
            }
        } else if (node instanceof SequenceNode sequence) {
            List<Node> items = sequence.getValue();
            for (int i = 0; i < items.size(); i++) {
                walk(items.get(i), FieldPath.index(path, i), ancestors, problems);
            }
        }
        ancestors.remove(node);
    }

    private static Optional<NodeTuple> entry(MappingNode mapping, String key) {
        for (NodeTuple tuple : mapping.getValue()) {
            if (tuple.getKeyNode() instanceof ScalarNode scalar && scalar.getValue().equals(key)) {
                return Optional.of(tuple);
            }
        }
        return Optional.empty();
    }

    private static int lineOf(Node node) {
        return node.getStartMark() == null ? 1 : node.getStartMark().getLine() + 1;
    }
}
