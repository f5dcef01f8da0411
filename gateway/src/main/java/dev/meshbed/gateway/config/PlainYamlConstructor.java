package dev.meshbed.gateway.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Turns one composed YAML document into plain Maps, Lists and scalars, which Jackson then maps
 * onto the fabric8 model. Timestamps stay strings: SnakeYAML would make them {@code Date}s, and
 * Jackson would then write {@code creationTimestamp} as epoch milliseconds. Not thread-safe (as
 * every SnakeYAML constructor); use one per file.
 */
final class PlainYamlConstructor extends SafeConstructor {

    PlainYamlConstructor(LoaderOptions options) {
        super(options);
        this.yamlConstructors.put(Tag.TIMESTAMP, new ConstructYamlStr());
        this.yamlConstructors.put(Tag.BOOL, new ConstructGoBool());
        this.yamlConstructors.put(Tag.INT, new ConstructGoInt());
    }

    /** go-yaml v2's booleans: true for y, yes, on, true in their spellings; false for the others. */
    private final class ConstructGoBool extends AbstractConstruct {
        @Override
        public Object construct(Node node) {
            String value = constructScalar((ScalarNode) node);
            char first = value.isEmpty() ? ' ' : Character.toLowerCase(value.charAt(0));
            return first == 'y' || first == 't' || value.equalsIgnoreCase("on");
        }
    }

    /**
     * Go's integer literals: underscores removed, then {@code 0b}, {@code 0o}, {@code 0x} or a
     * leading {@code 0} (octal). An Integer, Long or BigInteger, whichever holds the value; a
     * leading 0 with digits 8 or 9 is not octal and reads as a decimal float, as in go-yaml.
     */
    private final class ConstructGoInt extends AbstractConstruct {
        @Override
        public Object construct(Node node) {
            String text = constructScalar((ScalarNode) node).replace("_", "");
            boolean negative = text.startsWith("-");
            if (text.startsWith("-") || text.startsWith("+")) {
                text = text.substring(1);
            }
            int radix = 10;
            String lower = text.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("0b")) {
                radix = 2;
                text = text.substring(2);
            } else if (lower.startsWith("0o")) {
                radix = 8;
                text = text.substring(2);
            } else if (lower.startsWith("0x")) {
                radix = 16;
                text = text.substring(2);
            } else if (text.length() > 1 && text.startsWith("0")) {
                radix = 8;
            }
            java.math.BigInteger value;
            try {
                value = new java.math.BigInteger(text.isEmpty() ? "0" : text, radix);
            } catch (NumberFormatException e) {
                return Double.valueOf(text);
            }
            if (negative) {
                value = value.negate();
            }
            if (value.bitLength() < 32) {
                return value.intValue();
            }
            return value.bitLength() < 64 ? (Object) value.longValue() : value;
        }
    }

    /** The plain Java value of a document node composed with the same options. */
    Object construct(Node document) {
        return constructDocument(document);
    }
}
