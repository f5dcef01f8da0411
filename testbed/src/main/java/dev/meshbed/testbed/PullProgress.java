package dev.meshbed.testbed;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A pull's progress from the Docker engine's messages, as {@code docker pull} shows it per layer
 * ({@code Pulling fs layer}, {@code Downloading} with bytes, {@code Download complete},
 * {@code Extracting}, {@code Pull complete}, {@code Already exists}), summed up in one line:
 * {@code 3/7 layers, 45.2 of 71.3 MB}.
 */
final class PullProgress {

    /** One layer: bytes downloaded, bytes in all (0 until the engine says), done. */
    private static final class Layer {
        long current;
        long total;
        boolean done;
    }

    private final Map<String, Layer> layers = new LinkedHashMap<>();
    private String lastStatus = "";

    /** One message of the engine: the layer (or tag) it is about, its status and byte counts (null if none). */
    synchronized void accept(String id, String status, Long current, Long total) {
        if (status == null) {
            return;
        }
        lastStatus = id == null || id.isBlank() ? status : id + ": " + status;
        if (id == null || id.isBlank()) {
            return;
        }
        String s = status.toLowerCase(Locale.ROOT);
        boolean layerStatus = s.startsWith("pulling fs layer") || s.startsWith("waiting") || s.startsWith("downloading")
                || s.startsWith("verifying checksum") || s.startsWith("download complete") || s.startsWith("extracting")
                || s.startsWith("pull complete") || s.startsWith("already exists");
        if (!layerStatus) {
            return; // "Pulling from rancher/k3s", "Digest: ...": about the image, not a layer
        }
        Layer l = layers.computeIfAbsent(id, k -> new Layer());
        if (s.startsWith("downloading")) {
            if (total != null && total > 0) {
                l.total = total;
            }
            if (current != null) {
                l.current = Math.max(l.current, current);
            }
        } else if (s.startsWith("verifying checksum") || s.startsWith("download complete")
                || s.startsWith("extracting")) {
            l.current = l.total;
        } else if (s.startsWith("pull complete") || s.startsWith("already exists")) {
            l.current = l.total;
            l.done = true;
        }
    }

    synchronized int layers() {
        return layers.size();
    }

    synchronized int done() {
        return (int) layers.values().stream().filter(l -> l.done).count();
    }

    synchronized long downloaded() {
        return layers.values().stream().mapToLong(l -> l.current).sum();
    }

    synchronized long total() {
        return layers.values().stream().mapToLong(l -> l.total).sum();
    }

    /** The engine's last message, for a failure that stops without one of its own. */
    synchronized String lastStatus() {
        return lastStatus;
    }

    /** {@code 3/7 layers, 45.2 of 71.3 MB} (sizes as far as the engine has told them). */
    synchronized String line() {
        if (layers.isEmpty()) {
            return lastStatus.isEmpty() ? "waiting for the registry" : lastStatus;
        }
        return String.format(Locale.ROOT, "%d/%d layers, %.1f of %.1f MB", done(), layers(), downloaded() / 1e6,
                total() / 1e6);
    }
}
