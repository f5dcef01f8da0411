package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * Picks each setting from its flag, else its environment variable, else its default. An empty
 * variable counts as unset, as Kubernetes manifests often leave them.
 */
final class FlagOrEnvironment {

    private final Map<String, String> environment;

    FlagOrEnvironment(Map<String, String> environment) {
        this.environment = Map.copyOf(requireNonNull(environment, "environment"));
    }

    /**
     * @param flagText the flag's value, or {@code null} if the flag was not given
     * @throws InvalidOptionException naming the flag (and the variable, if the value came from it)
     */
    <T> T read(String flag, String flagText, String variable, String fallback, OptionType<T> type) {
        if (flagText != null) {
            return type.read(flag, flagText);
        }
        String fromEnvironment = variable(variable);
        if (fromEnvironment != null) {
            return type.read(flag + " (env " + variable + ")", fromEnvironment);
        }
        return type.read(flag, fallback);
    }

    /** Like {@link #read} for a setting without a fixed default: {@code null} if nothing names it. */
    <T> T readOptional(String flag, String flagText, OptionType<T> type, String... variables) {
        if (flagText != null) {
            return type.read(flag, flagText);
        }
        for (String variable : variables) {
            String fromEnvironment = variable(variable);
            if (fromEnvironment != null) {
                return type.read(flag + " (env " + variable + ")", fromEnvironment);
            }
        }
        return null;
    }

    private String variable(String name) {
        String value = environment.get(name);
        return value == null || value.isEmpty() ? null : value;
    }
}
