package dev.meshbed.loadtests.shift;

import dev.meshbed.loadtests.expect.ExpectedSplit;

/** Writes new weights where the running gateway reads them: the config directory, or the API server. */
public interface WeightChanger {

    /** Writes {@code weights}; returns when the write is done (the gateway picks it up after). */
    void apply(ExpectedSplit weights);

    /** Where the weights go, for the run's header. */
    String describe();
}
