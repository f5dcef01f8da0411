package dev.meshbed.gateway.source;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.config.IstioYamlReader;
import dev.meshbed.gateway.config.Origin;
import dev.meshbed.gateway.config.ParsedSource;
import dev.meshbed.gateway.config.Rejection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory of YAML files ({@code .yaml}, {@code .yml}, {@code .json}, subdirectories included,
 * hidden names skipped). Changes are noticed by the file system's watch service and, as a safety
 * net for file systems where it is slow or blind (macOS polls every few seconds, some volume
 * mounts send nothing), by comparing names, sizes and modification times every second.
 */
public final class DirectorySource implements ConfigSource {

    private static final Logger log = LoggerFactory.getLogger(DirectorySource.class);
    private static final long RESCAN_MILLIS = 1000;

    private final Path dir;
    private final IstioYamlReader reader = new IstioYamlReader();
    private WatchService watcher;
    private Thread thread;
    private volatile boolean closed;
    private List<String> lastFiles = List.of();

    public DirectorySource(Path dir) {
        this.dir = requireNonNull(dir, "dir").toAbsolutePath().normalize();
    }

    /** Fails if the directory does not exist, with a message that says so. */
    @Override
    public void start(Runnable onChange) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("config directory " + dir + " does not exist or is not a directory");
        }
        watcher = FileSystems.getDefault().newWatchService();
        registerAll();
        thread = new Thread(() -> watch(onChange), "meshbed-config-watch");
        thread.setDaemon(true);
        thread.start();
        onChange.run(); // a directory is complete from the start
    }

    private void registerAll() throws IOException {
        try (Stream<Path> dirs = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
            for (Path d : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
                d.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                        StandardWatchEventKinds.ENTRY_MODIFY);
            }
        }
    }

    private void watch(Runnable onChange) {
        String fingerprint = fingerprint();
        while (!closed) {
            try {
                WatchKey key = watcher.poll(RESCAN_MILLIS, TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                    registerAll(); // new subdirectories
                }
                String now = fingerprint();
                if (key != null || !now.equals(fingerprint)) {
                    fingerprint = now;
                    onChange.run();
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (IOException | UncheckedIOException e) {
                log.warn("watching {}: {}", dir, e.toString());
            }
        }
    }

    /** Names, sizes and modification times of the config files: cheap to compute, changes with any edit. */
    private String fingerprint() {
        StringBuilder sb = new StringBuilder();
        for (Path f : files()) {
            try {
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                sb.append(f).append('|').append(a.size()).append('|').append(a.lastModifiedTime().toMillis()).append('\n');
            } catch (IOException e) {
                sb.append(f).append("|gone\n");
            }
        }
        return sb.toString();
    }

    private List<Path> files() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
            return all.filter(Files::isRegularFile)
                    .filter(p -> !dir.relativize(p).toString().startsWith(".")
                            && !p.getFileName().toString().startsWith("."))
                    .filter(p -> {
                        String n = p.getFileName().toString();
                        return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
                    })
                    .sorted()
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            log.warn("listing {}: {}", dir, e.toString());
            return List.of();
        }
    }

    @Override
    public List<ParsedSource> read() {
        if (!Files.isDirectory(dir)) {
            // Gone (an unmounted volume, a directory being replaced): its files keep what they held.
            List<ParsedSource> out = new ArrayList<>();
            for (String name : lastFiles) {
                out.add(new ParsedSource(name, true, List.of(), List.of(new Rejection(null, new Origin(name, 0), null,
                        "config directory " + dir + " is gone; keeping what this file held")), List.of()));
            }
            return out;
        }
        List<ParsedSource> out = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Path f : files()) {
            ParsedSource parsed = reader.read(dir, f);
            out.add(parsed);
            names.add(parsed.source());
        }
        lastFiles = List.copyOf(names);
        return out;
    }

    @Override
    public String describe() {
        return "directory " + dir;
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (watcher != null) {
                watcher.close();
            }
        } catch (IOException e) {
            log.debug("closing the watch service: {}", e.toString());
        }
        if (thread != null) {
            thread.interrupt();
        }
    }
}
