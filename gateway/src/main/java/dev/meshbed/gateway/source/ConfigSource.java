package dev.meshbed.gateway.source;

import dev.meshbed.gateway.config.ParsedSource;
import java.io.IOException;
import java.util.List;

/**
 * Where Istio resources come from: a directory of YAML (local mode) or, later, the Kubernetes
 * API. A source only signals that something changed; the config thread then reads it.
 */
public interface ConfigSource extends AutoCloseable {

    /** Starts watching; {@code onChange} may be called from any thread, any number of times. */
    void start(Runnable onChange) throws IOException;

    /** What the source holds now, parsed and validated per resource. Called on the config thread. */
    List<ParsedSource> read();

    /** For logs: {@code directory /etc/meshbed}. */
    String describe();

    @Override
    void close();
}
