package dev.meshbed.gateway.source;

import dev.meshbed.gateway.config.ParsedSource;
import dev.meshbed.gateway.config.Rejection;
import java.io.IOException;
import java.util.List;

/**
 * Where Istio resources come from: a directory of YAML (local mode) or, later, the Kubernetes
 * API. A source only signals that something changed; the config thread then reads it.
 */
public interface ConfigSource extends AutoCloseable {

    /**
     * Starts watching. The source calls {@code onChange} (from any thread, any number of times)
     * once it holds a complete first view (a directory: at once; the Kubernetes API: once every
     * informer has synced), then after every change.
     */
    void start(Runnable onChange) throws IOException;

    /** What the source holds now, parsed and validated per resource. Called on the config thread. */
    List<ParsedSource> read();

    /**
     * Told, after each install, what the installed table rejected, so that a source can report it
     * where its users look (Kubernetes: an Event on the resource). Called on the config thread;
     * must not block.
     */
    default void reportRejections(List<Rejection> rejections) {
    }

    /** For logs: {@code directory /etc/meshbed}. */
    String describe();

    @Override
    void close();
}
