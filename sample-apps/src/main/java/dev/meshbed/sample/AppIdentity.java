package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

/** Who answers: reported in every response so that a client can tell v1 from v2 and pod from pod. */
record AppIdentity(String version, String instance) {

    AppIdentity {
        requireNonNull(version, "version");
        requireNonNull(instance, "instance");
    }
}
