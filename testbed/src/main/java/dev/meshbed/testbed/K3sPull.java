package dev.meshbed.testbed;

import java.util.Locale;

/**
 * Whether {@code up} pulls the k3s image ({@code --k3s-pull}, {@code K3S_PULL} in
 * scripts/testbed.sh): {@link #MISSING} by default, {@link #NEVER} for machines that cannot reach
 * a registry (then a missing image stops {@code up} before anything starts).
 */
public enum K3sPull {

    /** Pull before every start, also when the image is present (a moving tag). */
    ALWAYS,
    /** Pull only when the image is not in the local Docker engine (the default). */
    MISSING,
    /** Never pull: a missing image is a problem reported before anything starts. */
    NEVER;

    /** The default of {@code up}. */
    public static final K3sPull DEFAULT = MISSING;

    /** {@code always}, {@code missing} or {@code never} (any case, surrounding blanks ignored). */
    public static K3sPull parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "always" -> ALWAYS;
            case "missing" -> MISSING;
            case "never" -> NEVER;
            default -> throw new TestbedException("--k3s-pull: " + value + " (expected: always, missing or never)",
                    TestbedException.USAGE);
        };
    }

    /** Whether to pull, given whether the image is present. */
    public boolean pulls(boolean present) {
        return this == ALWAYS || this == MISSING && !present;
    }

    /** As the option spells it. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
