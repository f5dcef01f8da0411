package dev.meshbed.loadtests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The folder Gatling writes this run into ({@code <results>/<simulation>-<timestamp>/}, created
 * when the run starts; the HTML report lands there at the end), so the verdict can go beside it.
 */
public final class RunFolder {

    private RunFolder() {
    }

    /** The newest run folder of {@code simulationClass} created at or after {@code sinceMillis}. */
    public static Optional<Path> find(Path results, String simulationClass, long sinceMillis) {
        String prefix = simulationClass.toLowerCase(Locale.ROOT) + "-";
        if (!Files.isDirectory(results)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(results)) {
            return dirs.filter(Files::isDirectory)
                    .filter(d -> d.getFileName().toString().startsWith(prefix))
                    .filter(d -> modified(d).toMillis() >= sinceMillis - 2000)
                    .max(Comparator.comparing(RunFolder::modified));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    /** Writes {@code verdict.json} and {@code verdict.txt} (the one line) into {@code folder}. */
    public static void writeVerdict(Path folder, String json, String line) {
        try {
            Files.writeString(folder.resolve("verdict.json"), json);
            Files.writeString(folder.resolve("verdict.txt"), line + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("writing the verdict into " + folder, e);
        }
    }
}
