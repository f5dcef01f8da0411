package dev.meshbed.gateway.config;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * How many nodes aliases add to composed YAML once expanded. SnakeYAML composes an alias as a
 * second reference to its anchor's node, so composing stays cheap; everything after it (the
 * structural checks, Jackson, the model) walks the expanded tree, which a chain of aliases can
 * make exponentially large. This walks each distinct node once (the expanded size of a node is
 * remembered), so it costs as much as the composed document, whatever the expansion.
 *
 * <p>An alias that contains itself counts once here; {@link DocumentNode} rejects it.
 */
final class AliasExpansion {

    private final Map<Node, Long> expandedSize = new IdentityHashMap<>();
    private final Set<Node> inProgress = Collections.newSetFromMap(new IdentityHashMap<>());

    private long expanded;

    /**
     * Adds a document of the file; returns the nodes that expanding the aliases of the documents
     * added so far adds: the size of their expanded trees minus the number of distinct composed
     * nodes. Saturates at {@link Long#MAX_VALUE}.
     */
    long add(Node document) {
        expanded = saturatedAdd(expanded, size(document));
        return expanded == Long.MAX_VALUE ? Long.MAX_VALUE : expanded - expandedSize.size();
    }

    private long size(Node node) {
        Long known = expandedSize.get(node);
        if (known != null) {
            return known;
        }
        if (!inProgress.add(node)) {
            return 1; // a node inside itself: rejected later, by DocumentNode
        }
        long size = 1;
        if (node instanceof MappingNode mapping) {
            for (NodeTuple tuple : mapping.getValue()) {
                size = saturatedAdd(size, size(tuple.getKeyNode()));
                size = saturatedAdd(size, size(tuple.getValueNode()));
            }
        } else if (node instanceof SequenceNode sequence) {
            for (Node item : sequence.getValue()) {
                size = saturatedAdd(size, size(item));
            }
        }
        inProgress.remove(node);
        expandedSize.put(node, size);
        return size;
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }
}
