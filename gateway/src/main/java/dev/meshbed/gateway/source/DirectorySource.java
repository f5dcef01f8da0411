package dev.meshbed.gateway.source;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.config.ConfigLimits;
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
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
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
 *
 * <p>A directory that cannot be listed (gone, out of file descriptors, an I/O error) is never
 * an empty configuration: every file keeps what it held, the failure is logged (rate-limited)
 * and shown as a rejection, and the listing is retried every second until it works again. What
 * reading may cost is bounded by {@link ConfigLimits}: per file, for all files together, and in
 * the number of files.
 */
public final class DirectorySource implements ConfigSource {

    /** Lists the config files under a directory, in name order; throws when it cannot (never "none"). */
    @FunctionalInterface
    public interface Lister {
        /** At most {@code limit + 1} files, so that a caller can tell that there are too many. */
        List<Path> list(Path dir, int limit) throws IOException;
    }

    private static final Logger log = LoggerFactory.getLogger(DirectorySource.class);
    private static final long RESCAN_MILLIS = 1000;
    private static final long FAILURE_LOG_INTERVAL_MILLIS = 60_000;
    private static final String UNLISTABLE = "\u0000unlistable";

    private final Path dir;
    private final ConfigLimits limits;
    private final Lister lister;
    private final IstioYamlReader reader;
    private final FailureLog listingFailures;
    private WatchService watcher;
    private Thread thread;
    private volatile boolean closed;
    private List<String> lastFiles = List.of();

    public DirectorySource(Path dir) {
        this(dir, ConfigLimits.defaults());
    }

    public DirectorySource(Path dir, ConfigLimits limits) {
        this(dir, limits, DirectorySource::listFiles);
    }

    /** With another way to list the directory (tests: one that fails on demand). */
    public DirectorySource(Path dir, ConfigLimits limits, Lister lister) {
        this.dir = requireNonNull(dir, "dir").toAbsolutePath().normalize();
        this.limits = requireNonNull(limits, "limits");
        this.lister = requireNonNull(lister, "lister");
        this.reader = new IstioYamlReader(limits);
        this.listingFailures = new FailureLog(log, "list config directory " + this.dir,
                "the last good routing table keeps serving", FAILURE_LOG_INTERVAL_MILLIS, System::nanoTime);
    }

    /** Fails if the directory does not exist, with a message that says so. */
    @Override
    public void start(Runnable onChange) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("config directory " + dir + " does not exist or is not a directory");
        }
        watcher = FileSystems.getDefault().newWatchService();
        registerAll();
        String fingerprint = fingerprint(); // of what the first read below sees, or older
        thread = new Thread(() -> watch(onChange, fingerprint), "meshbed-config-watch");
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
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private void watch(Runnable onChange, String firstFingerprint) {
        String fingerprint = firstFingerprint;
        while (!closed) {
            try {
                WatchKey key = watcher.poll(RESCAN_MILLIS, TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
                boolean wasFailing = listingFailures.failing();
                String now = fingerprint();
                boolean recovered = wasFailing && !listingFailures.failing();
                if (key != null || recovered || !now.equals(fingerprint)) {
                    fingerprint = now;
                    registerQuietly(); // new subdirectories, or a directory that is back
                    onChange.run();
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("watching {}: {}", dir, e.toString());
            }
        }
    }

    private void registerQuietly() {
        try {
            registerAll();
        } catch (IOException | RuntimeException e) {
            log.debug("watching the subdirectories of {}: {}", dir, e.toString()); // the rescan still sees changes
        }
    }

    /** Names, sizes and modification times of the config files: cheap to compute, changes with any edit. */
    private String fingerprint() {
        List<Path> files;
        try {
            files = lister.list(dir, limits.maxFiles());
        } catch (IOException | RuntimeException e) {
            listingFailures.failed(e);
            return UNLISTABLE;
        }
        listingFailures.succeeded();
        StringBuilder sb = new StringBuilder();
        for (Path f : files) {
            try {
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                sb.append(f).append('|').append(a.size()).append('|').append(a.lastModifiedTime().toMillis()).append('\n');
            } catch (IOException e) {
                sb.append(f).append("|gone\n");
            }
        }
        return sb.toString();
    }

    /**
     * The config files under {@code dir}, by walking it (symbolic links followed). A file that
     * vanishes while the walk passes it (an editor's or {@code kubectl cp}'s temporary file, renamed
     * away) makes the walk start over, up to {@value #LISTING_ATTEMPTS} times, rather than make the
     * whole directory unlistable for a rebuild.
     */
    public static List<Path> listFiles(Path dir, int limit) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return walk(dir, limit);
            } catch (NoSuchFileException e) {
                if (attempt >= LISTING_ATTEMPTS || !Files.isDirectory(dir)) {
                    throw e;
                }
            }
        }
    }

    static final int LISTING_ATTEMPTS = 3;

    private static List<Path> walk(Path dir, int limit) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NotDirectoryException(dir + " (gone, or no longer a directory)");
        }
        try (Stream<Path> all = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
            return all.filter(Files::isRegularFile)
                    .filter(p -> !dir.relativize(p).toString().startsWith(".")
                            && !p.getFileName().toString().startsWith("."))
                    .filter(p -> {
                        String n = p.getFileName().toString();
                        return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
                    })
                    .limit(limit + 1L)
                    .sorted()
                    .toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public List<ParsedSource> read() {
        List<Path> files;
        try {
            files = lister.list(dir, limits.maxFiles());
        } catch (IOException | RuntimeException e) {
            listingFailures.failed(e);
            return keepingWhatFilesHeld("cannot list config directory " + dir + ": " + e
                    + " (retrying every second)");
        }
        listingFailures.succeeded();
        if (files.size() > limits.maxFiles()) {
            return keepingWhatFilesHeld("config directory " + dir + " holds more than " + limits.maxFiles()
                    + " config files (limit: " + ConfigLimits.FILES_OPTION + "); it was not read");
        }
        List<ParsedSource> out = new ArrayList<>();
        List<String> names = new ArrayList<>();
        long totalBytes = 0;
        for (Path f : files) {
            long size = sizeOf(f);
            ParsedSource parsed;
            if (size <= limits.maxFileBytes() && totalBytes + size > limits.maxTotalBytes()) {
                String name = sourceName(f);
                parsed = new ParsedSource(name, true, List.of(), List.of(new Rejection(null, new Origin(name, 0), null,
                        "not read: the config files come to more than " + limits.maxTotalBytes()
                                + " bytes together (limit: " + ConfigLimits.TOTAL_BYTES_OPTION
                                + "; files are read in name order)")), List.of());
            } else {
                if (size <= limits.maxFileBytes()) {
                    totalBytes += size;
                }
                parsed = reader.read(dir, f);
            }
            out.add(parsed);
            names.add(parsed.source());
        }
        lastFiles = List.copyOf(names);
        return out;
    }

    /**
     * When the directory cannot be read, nothing is known about its files: each keeps what it
     * held, and says why. Before any listing succeeded, the directory itself carries the message.
     */
    private List<ParsedSource> keepingWhatFilesHeld(String problem) {
        List<ParsedSource> out = new ArrayList<>();
        List<String> names = lastFiles.isEmpty() ? List.of(dir.toString()) : lastFiles;
        for (String name : names) {
            out.add(new ParsedSource(name, true, List.of(), List.of(new Rejection(null, new Origin(name, 0), null,
                    problem)), List.of()));
        }
        return out;
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0; // the reader says why it cannot read the file
        }
    }

    private String sourceName(Path file) {
        Path relative = dir.relativize(file.toAbsolutePath().normalize());
        return relative.toString().replace(relative.getFileSystem().getSeparator(), "/");
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
