package dev.meshbed.gateway.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.Node;
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
    }

    /** The plain Java value of a document node composed with the same options. */
    Object construct(Node document) {
        return constructDocument(document);
    }
}
