package dev.meshbed.gateway;

import dev.meshbed.gateway.config.ConfigLimits;
import java.util.Map;
import picocli.CommandLine.Option;

/** The command-line options for {@link ConfigLimits}: what reading the config directory may cost. */
final class ConfigLimitOptions {

    @Option(names = ConfigLimits.FILE_BYTES_OPTION, paramLabel = "BYTES",
            description = "Largest config file read; a larger one is rejected (default: 1048576, 1 MiB).")
    long maxFileBytes = ConfigLimits.DEFAULT_MAX_FILE_BYTES;

    @Option(names = ConfigLimits.TOTAL_BYTES_OPTION, paramLabel = "BYTES",
            description = "Most bytes read from all config files together, in name order (default: 4194304, "
                    + "4 MiB).")
    long maxTotalBytes = ConfigLimits.DEFAULT_MAX_TOTAL_BYTES;

    @Option(names = ConfigLimits.FILES_OPTION, paramLabel = "N",
            description = "Most config files in the directory; with more it is not read (default: 10000).")
    int maxFiles = ConfigLimits.DEFAULT_MAX_FILES;

    @Option(names = ConfigLimits.ALIASES_OPTION, paramLabel = "N",
            description = "Most YAML aliases to mappings and lists in one file (default: 50).")
    int maxAliases = ConfigLimits.DEFAULT_MAX_ALIASES;

    @Option(names = ConfigLimits.ALIAS_EXPANSION_OPTION, paramLabel = "NODES",
            description = "Most YAML nodes that expanding aliases may add to one file (default: 10000).")
    long maxAliasExpansion = ConfigLimits.DEFAULT_MAX_ALIAS_EXPANSION;

    @Option(names = ConfigLimits.NESTING_DEPTH_OPTION, paramLabel = "N",
            description = "Deepest nesting of YAML mappings and lists (default: 50).")
    int maxNestingDepth = ConfigLimits.DEFAULT_MAX_NESTING_DEPTH;

    private static final Map<String, String> OPTION_OF = Map.of(
            "maxFileBytes", ConfigLimits.FILE_BYTES_OPTION,
            "maxTotalBytes", ConfigLimits.TOTAL_BYTES_OPTION,
            "maxFiles", ConfigLimits.FILES_OPTION,
            "maxAliases", ConfigLimits.ALIASES_OPTION,
            "maxAliasExpansion", ConfigLimits.ALIAS_EXPANSION_OPTION,
            "maxNestingDepth", ConfigLimits.NESTING_DEPTH_OPTION);

    /** The limits; a bad value is an IllegalArgumentException that names the option. */
    ConfigLimits limits() {
        try {
            return new ConfigLimits(maxFileBytes, maxTotalBytes, maxFiles, maxAliases, maxAliasExpansion,
                    maxNestingDepth);
        } catch (IllegalArgumentException e) {
            String message = String.valueOf(e.getMessage());
            int colon = message.indexOf(':');
            String option = colon < 0 ? null : OPTION_OF.get(message.substring(0, colon));
            throw option == null ? e : new IllegalArgumentException(option + message.substring(colon), e);
        }
    }
}
