package dev.meshbed.testbed;

import java.nio.file.Path;

/** {@link KubeAvailability} once for the real-cluster suites of this module. */
final class KubeSuite {

    private static KubeAvailability availability;

    private KubeSuite() {
    }

    private static synchronized KubeAvailability availability() {
        if (availability == null) {
            availability = KubeAvailability.check(Project.locate(null));
        }
        return availability;
    }

    static Path binary() {
        return availability().binary().orElse(null);
    }

    static String skipReason() {
        return availability().skipReason();
    }
}
