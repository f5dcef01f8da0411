package dev.meshbed.gateway.config;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Where go-yaml v2 (what kubectl and Istio read YAML with, through sigs.k8s.io/yaml) and
 * SnakeYAML part ways on the same text, brought to go-yaml's reading:
 * <ul>
 *   <li>In a flow collection, go-yaml ends a plain scalar at {@code :} only when a space
 *   follows, so {@code [1.2.3.4, 2001:db8::]} holds the address {@code 2001:db8::}; SnakeYAML
 *   ends it at {@code :} before {@code ]} too and reads a one-pair mapping {@code 2001:db8:}.</li>
 *   <li>A file that starts with {@code {} or {@code [} is JSON to kubectl, where tabs are
 *   whitespace; SnakeYAML refuses tabs that indent. Tabs outside strings become spaces (a raw
 *   tab inside a JSON string is invalid JSON and stays as it is).</li>
 * </ul>
 */
final class GoYamlDialect {

    private GoYamlDialect() {
    }

    /** True when kubectl would read {@code text} as JSON (its first non-space character opens an object or array). */
    static boolean looksLikeJson(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\uFEFF' || Character.isWhitespace(c)) {
                continue;
            }
            return c == '{' || c == '[';
        }
        return false;
    }

    /** JSON text with its tabs outside strings turned into spaces (lines and columns unchanged). */
    static String untabJson(String text) {
        if (text.indexOf('\t') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\' && i + 1 < text.length()) {
                    out.append(c).append(text.charAt(++i));
                    continue;
                }
                if (c == '"') {
                    inString = false;
                }
                out.append(c);
            } else {
                if (c == '"') {
                    inString = true;
                }
                out.append(c == '\t' ? ' ' : c);
            }
        }
        return out.toString();
    }

    /**
     * Rewrites, in a composed document, each flow-sequence item SnakeYAML read as a one-pair
     * mapping {@code key: <empty>} where the text has {@code key:} directly followed by
     * {@code ,}, {@code ]} or {@code }}: go-yaml reads the scalar {@code key:} there.
     *
     * @param codePoints the file's text as code points (what marks index)
     */
    static void mergeFlowColons(Node document, int[] codePoints, Resolver resolver) {
        walk(document, codePoints, resolver, Collections.newSetFromMap(new IdentityHashMap<>()));
    }

    private static void walk(Node node, int[] text, Resolver resolver, Set<Node> seen) {
        if (!seen.add(node)) {
            return;
        }
        if (node instanceof SequenceNode sequence) {
            List<Node> items = sequence.getValue();
            for (int i = 0; i < items.size(); i++) {
                Node merged = sequence.getFlowStyle() == DumperOptions.FlowStyle.FLOW
                        ? merged(items.get(i), text, resolver) : null;
                if (merged != null) {
                    items.set(i, merged);
                } else {
                    walk(items.get(i), text, resolver, seen);
                }
            }
        } else if (node instanceof MappingNode mapping) {
            for (NodeTuple tuple : mapping.getValue()) {
                walk(tuple.getKeyNode(), text, resolver, seen);
                walk(tuple.getValueNode(), text, resolver, seen);
            }
        }
    }

    private static Node merged(Node item, int[] text, Resolver resolver) {
        if (!(item instanceof MappingNode mapping) || mapping.getValue().size() != 1) {
            return null;
        }
        NodeTuple pair = mapping.getValue().get(0);
        if (!(pair.getKeyNode() instanceof ScalarNode key) || !(pair.getValueNode() instanceof ScalarNode value)
                || key.getScalarStyle() != DumperOptions.ScalarStyle.PLAIN || !value.getValue().isEmpty()
                || !value.getTag().equals(Tag.NULL) || key.getEndMark() == null) {
            return null;
        }
        int end = key.getEndMark().getIndex();
        if (end + 1 >= text.length || text[end] != ':' || ",]}".indexOf(text[end + 1]) < 0) {
            return null;
        }
        String merged = key.getValue() + ":";
        Tag tag = resolver.resolve(org.yaml.snakeyaml.nodes.NodeId.scalar, merged, true);
        return new ScalarNode(tag, merged, key.getStartMark(), value.getEndMark(), DumperOptions.ScalarStyle.PLAIN);
    }
}
