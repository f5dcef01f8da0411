package dev.meshbed.testbed;

import java.util.Locale;
import java.util.Optional;

/**
 * Machine architectures as {@code uname -m} and {@code docker info} name them ({@code x86_64},
 * {@code aarch64}), and the OCI platforms images are built for ({@code linux/amd64},
 * {@code linux/arm64}): the same mapping as scripts/lib.sh's {@code platform_of}, which chooses
 * the platform the images are built for.
 */
public final class Platforms {

    private Platforms() {
    }

    /** {@code linux/amd64} for {@code x86_64}, {@code linux/arm64} for {@code aarch64}; empty for one not known. */
    public static Optional<String> ofArchitecture(String arch) {
        String a = arch == null ? "" : arch.trim().toLowerCase(Locale.ROOT);
        return switch (a) {
            case "x86_64", "amd64" -> Optional.of("linux/amd64");
            case "aarch64", "arm64" -> Optional.of("linux/arm64");
            case "s390x", "ppc64le", "riscv64" -> Optional.of("linux/" + a);
            default -> Optional.empty();
        };
    }
}
