package dev.meshbed.gateway.config;

/**
 * Bounds on what reading configuration may cost, so that no file (a mistake or a YAML bomb) can
 * take the gateway's memory or its config thread: a file over a bound is rejected with a message
 * that names it and the bound, and what it held before keeps serving.
 *
 * <p>The defaults fit a gateway whose heap is a few dozen MiB: reading a YAML file briefly takes
 * some 80 times its size on the heap (composed nodes, plain Maps, Jackson's buffers, the model).
 *
 * @param maxFileBytes size of one config file. Default 1 MiB: Kubernetes stores one object in
 *     etcd up to 1.5 MiB (its {@code --max-request-bytes}); an Istio resource is a few KiB.
 * @param maxTotalBytes size of all the config files of a directory together (default 4 MiB).
 *     Files are read in name order; those past the bound are rejected. Measured: 1 MiB of
 *     VirtualServices (some 2,400) keeps about 5 MB of model on the heap, 16 MiB about 80 MB (more
 *     than a 64 MiB heap holds); 4 MiB leaves a 128 MiB heap room for compiling and serving.
 * @param maxFiles number of config files in a directory (default 10,000); with more, the
 *     directory is not read at all and the last good table keeps serving.
 * @param maxAliases aliases to mappings and lists in one file (default 50, SnakeYAML's own).
 * @param maxAliasExpansion how many YAML nodes aliases may add to a file when they are expanded
 *     (default 10,000). Counting aliases is not enough: 48 of them, each doubling the one
 *     before, expand to 2^24 copies (the "billion laughs"). Kubernetes' YAML decoder bounds the
 *     same thing by the share of decoding that comes from aliases (go-yaml's "document contains
 *     excessive aliasing").
 * @param maxNestingDepth nesting of mappings and lists (default 50, SnakeYAML's own; an Istio
 *     resource nests about 10 deep).
 */
public record ConfigLimits(long maxFileBytes, long maxTotalBytes, int maxFiles, int maxAliases,
        long maxAliasExpansion, int maxNestingDepth) {

    public static final long DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
    public static final long DEFAULT_MAX_TOTAL_BYTES = 4 * 1024 * 1024;
    public static final int DEFAULT_MAX_FILES = 10_000;
    public static final int DEFAULT_MAX_ALIASES = 50;
    public static final long DEFAULT_MAX_ALIAS_EXPANSION = 10_000;
    public static final int DEFAULT_MAX_NESTING_DEPTH = 50;

    /** The command-line options that set the bounds, named in rejections so that users know what to change. */
    public static final String FILE_BYTES_OPTION = "--config-max-file-bytes";
    public static final String TOTAL_BYTES_OPTION = "--config-max-total-bytes";
    public static final String FILES_OPTION = "--config-max-files";
    public static final String ALIASES_OPTION = "--config-max-aliases";
    public static final String ALIAS_EXPANSION_OPTION = "--config-max-alias-expansion";
    public static final String NESTING_DEPTH_OPTION = "--config-max-depth";

    private static final ConfigLimits DEFAULTS = new ConfigLimits(DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_TOTAL_BYTES,
            DEFAULT_MAX_FILES, DEFAULT_MAX_ALIASES, DEFAULT_MAX_ALIAS_EXPANSION, DEFAULT_MAX_NESTING_DEPTH);

    public ConfigLimits {
        // SnakeYAML counts code points in an int; the text of a file is one String.
        check("maxFileBytes", maxFileBytes, 1, Integer.MAX_VALUE - 8);
        check("maxTotalBytes", maxTotalBytes, 1, Long.MAX_VALUE);
        check("maxFiles", maxFiles, 1, Integer.MAX_VALUE - 1);
        check("maxAliases", maxAliases, 0, Integer.MAX_VALUE);
        check("maxAliasExpansion", maxAliasExpansion, 0, Long.MAX_VALUE);
        check("maxNestingDepth", maxNestingDepth, 1, Integer.MAX_VALUE);
    }

    public static ConfigLimits defaults() {
        return DEFAULTS;
    }

    public ConfigLimits withMaxFileBytes(long value) {
        return new ConfigLimits(value, maxTotalBytes, maxFiles, maxAliases, maxAliasExpansion, maxNestingDepth);
    }

    public ConfigLimits withMaxTotalBytes(long value) {
        return new ConfigLimits(maxFileBytes, value, maxFiles, maxAliases, maxAliasExpansion, maxNestingDepth);
    }

    public ConfigLimits withMaxFiles(int value) {
        return new ConfigLimits(maxFileBytes, maxTotalBytes, value, maxAliases, maxAliasExpansion, maxNestingDepth);
    }

    public ConfigLimits withMaxAliases(int value) {
        return new ConfigLimits(maxFileBytes, maxTotalBytes, maxFiles, value, maxAliasExpansion, maxNestingDepth);
    }

    public ConfigLimits withMaxAliasExpansion(long value) {
        return new ConfigLimits(maxFileBytes, maxTotalBytes, maxFiles, maxAliases, value, maxNestingDepth);
    }

    public ConfigLimits withMaxNestingDepth(int value) {
        return new ConfigLimits(maxFileBytes, maxTotalBytes, maxFiles, maxAliases, maxAliasExpansion, value);
    }

    private static void check(String name, long value, long min, long max) {
        if (value < min) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
        }
        if (value > max) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: <= " + max + ")");
        }
    }
}
