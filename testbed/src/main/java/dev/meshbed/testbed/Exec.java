package dev.meshbed.testbed;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A short command on this host, run to its end within a timeout: its exit code and output
 * (stdout and stderr together). A command that does not end in time is killed by its PID.
 */
final class Exec {

    /** What a command did. */
    record Result(List<String> command, int exitCode, String output) {

        boolean ok() {
            return exitCode == 0;
        }

        /** The output, or throws naming the command, its exit code and its last lines. */
        String orThrow(String what) {
            if (!ok()) {
                throw new TestbedException(what + " failed (" + String.join(" ", command) + ": exit " + exitCode + ")"
                        + lastLines(output, 12), TestbedException.FAILED);
            }
            return output;
        }
    }

    private Exec() {
    }

    static Result run(Duration timeout, String... command) {
        return run(timeout, List.of(command));
    }

    static Result run(Duration timeout, List<String> command) {
        requireNonNull(timeout, "timeout");
        Path out = null;
        try {
            out = Files.createTempFile("meshbed-exec", ".log");
            Process p;
            try {
                p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            } catch (IOException e) {
                return new Result(command, 127, command.get(0) + ": " + e.getMessage());
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                return new Result(command, 124, Files.readString(out, StandardCharsets.UTF_8)
                        + "\n(killed after " + timeout.toSeconds() + " s)");
            }
            return new Result(command, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestbedException("interrupted", TestbedException.FAILED);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temp file
                }
            }
        }
    }

    /** Whether {@code tool} is on the PATH. */
    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** The last {@code n} lines of {@code text}, indented, starting with a line break (empty for no text). */
    static String lastLines(String text, int n) {
        if (text == null || text.isBlank()) {
            return "";
        }
        String[] lines = text.strip().split("\n");
        List<String> tail = new ArrayList<>(List.of(lines).subList(Math.max(0, lines.length - n), lines.length));
        return "\n      " + String.join("\n      ", tail);
    }

    /** The last {@code n} lines of a file (a component's log), as {@link #lastLines(String, int)}. */
    static String lastLines(Path file, int n) {
        try {
            if (!Files.isRegularFile(file)) {
                return "\n      (no log at " + file + ")";
            }
            long size = Files.size(file);
            try (var ch = Files.newByteChannel(file)) {
                long from = Math.max(0, size - 64 * 1024);
                ch.position(from);
                var buf = java.nio.ByteBuffer.allocate((int) (size - from));
                while (buf.hasRemaining() && ch.read(buf) > 0) {
                    // read the tail
                }
                return lastLines(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8), n);
            }
        } catch (IOException e) {
            return "\n      (cannot read " + file + ": " + e.getMessage() + ")";
        }
    }
}
