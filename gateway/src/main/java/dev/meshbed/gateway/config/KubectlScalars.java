package dev.meshbed.gateway.config;

import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Types plain scalars as kubectl and Istio do. Both read YAML through sigs.k8s.io/yaml, which
 * uses go-yaml v2 ({@code go.yaml.in/yaml/v2}): YAML 1.1 booleans ({@code yes}, {@code on},
 * {@code y}), Go integer literals after removing underscores ({@code 0o17}, {@code 0x1F},
 * {@code 012} octal), floats with or without a dot ({@code 1e3}), and no sexagesimal numbers:
 * {@code 1:30} is a string there (SnakeYAML's YAML 1.1 resolver makes it 90). Timestamps stay
 * strings ({@link PlainYamlConstructor}).
 */
final class KubectlScalars extends Resolver {

    static final Pattern GO_BOOL = Pattern.compile(
            "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF");
    /** Go's base-0 integer syntax; underscores anywhere after the first digit (go-yaml removes them all). */
    static final Pattern GO_INT = Pattern.compile(
            "[-+]?(0[bB][01_]+|0[oO][0-7_]+|0[xX][0-9a-fA-F_]+|0[0-7_]*|[1-9][0-9_]*)");
    static final Pattern GO_FLOAT = Pattern.compile(
            "[-+]?(\\.[0-9_]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9_]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
    static final Pattern GO_NULL = Pattern.compile("~|null|Null|NULL|");

    @Override
    protected void addImplicitResolvers() {
        addImplicitResolver(Tag.BOOL, GO_BOOL, "yYnNtTfFoO", 10);
        addImplicitResolver(Tag.INT, GO_INT, "-+0123456789", 100);
        addImplicitResolver(Tag.FLOAT, GO_FLOAT, "-+0123456789.", 100);
        addImplicitResolver(Tag.MERGE, MERGE, "<", 10);
        addImplicitResolver(Tag.NULL, GO_NULL, "~nN", 10);
        addImplicitResolver(Tag.NULL, EMPTY, null, 10);
    }
}
