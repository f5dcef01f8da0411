package dev.meshbed.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The image names inside an image tarball, read from its index without unpacking it: a Docker
 * tarball ({@code docker save}, Jib's default {@code jib:buildTar}) lists them in
 * {@code manifest.json} ({@code RepoTags}), an OCI layout in {@code index.json}
 * ({@code org.opencontainers.image.ref.name}). Lets {@code up} say "this tarball holds an older
 * version" before starting anything, and the import say "this tarball is for another platform
 * than the node's" ({@link #platform}).
 */
public final class ImageTarball {

    private static final int BLOCK = 512;

    private ImageTarball() {
    }

    /** The names the tarball declares (possibly empty: an OCI layout need not name its images). */
    public static List<String> imageNames(Path tarball) throws IOException {
        List<String> names = new ArrayList<>();
        walk(tarball, (name, ch, data, size) -> {
            if (name.equals("manifest.json")) {
                JsonNode root = new ObjectMapper().readTree(readString(ch, data, size));
                for (JsonNode m : root) {
                    for (JsonNode tag : m.path("RepoTags")) {
                        names.add(tag.asText());
                    }
                }
            } else if (name.equals("index.json")) {
                JsonNode root = new ObjectMapper().readTree(readString(ch, data, size));
                for (JsonNode m : root.path("manifests")) {
                    JsonNode ref = m.path("annotations").path("org.opencontainers.image.ref.name");
                    if (ref.isTextual()) {
                        names.add(ref.asText());
                    }
                }
            }
            return true;
        });
        return names;
    }

    /**
     * The platform of a Docker tarball's (first) image, {@code linux/amd64}, from the
     * {@code os} and {@code architecture} of its config (what Jib's {@code jib.from.platforms}
     * chose); empty for an OCI layout or a config without them.
     */
    public static Optional<String> platform(Path tarball) throws IOException {
        Optional<String> manifest = entry(tarball, "manifest.json");
        if (manifest.isEmpty()) {
            return Optional.empty();
        }
        String config = new ObjectMapper().readTree(manifest.get()).path(0).path("Config").asText("");
        Optional<String> json = config.isEmpty() ? Optional.empty() : entry(tarball, config.replaceFirst("^\\./", ""));
        if (json.isEmpty()) {
            return Optional.empty();
        }
        JsonNode c = new ObjectMapper().readTree(json.get());
        String os = c.path("os").asText("");
        String arch = c.path("architecture").asText("");
        return os.isEmpty() || arch.isEmpty() ? Optional.empty() : Optional.of(os + "/" + arch);
    }

    /** One small entry's text, by its name (a leading {@code ./} ignored). */
    private static Optional<String> entry(Path tarball, String wanted) throws IOException {
        String[] found = {null};
        walk(tarball, (name, ch, data, size) -> {
            if (name.equals(wanted)) {
                found[0] = readString(ch, data, size);
                return false;
            }
            return true;
        });
        return Optional.ofNullable(found[0]);
    }

    /** What {@link #walk} shows of each entry: its name (no leading {@code ./}), where its data is, its size. */
    private interface EntryVisitor {
        /** False to stop the walk. */
        boolean visit(String name, FileChannel ch, long data, long size) throws IOException;
    }

    /** The tar's regular entries, in order, without reading their data. */
    private static void walk(Path tarball, EntryVisitor visitor) throws IOException {
        try (FileChannel ch = FileChannel.open(tarball, StandardOpenOption.READ)) {
            long pos = 0;
            ByteBuffer header = ByteBuffer.allocate(BLOCK);
            String longName = null;
            while (pos + BLOCK <= ch.size()) {
                header.clear();
                ch.read(header, pos);
                byte[] h = header.array();
                if (allZero(h)) {
                    break;
                }
                String name = longName != null ? longName : field(h, 0, 100);
                longName = null;
                String prefix = field(h, 345, 155);
                if (!prefix.isEmpty() && h[257] == 'u') {
                    name = prefix + "/" + name;
                }
                long size = octal(h, 124, 12);
                char type = (char) h[156];
                long data = pos + BLOCK;
                if (type == 'L') {
                    longName = readString(ch, data, size).replace("\0", "");
                } else if (!visitor.visit(name.replaceFirst("^\\./", ""), ch, data, size)) {
                    return;
                }
                pos = data + (size + BLOCK - 1) / BLOCK * BLOCK;
            }
        }
    }

    /**
     * Whether {@code names} hold {@code image}, Docker's way: {@code meshbed/gateway:1} and
     * {@code docker.io/meshbed/gateway:1} are the same image.
     */
    public static boolean holds(List<String> names, String image) {
        String want = normalize(image);
        return names.stream().map(ImageTarball::normalize).anyMatch(want::equals);
    }

    /** {@code meshbed/gateway:1} → {@code docker.io/meshbed/gateway:1}; {@code alpine} → {@code docker.io/library/alpine:latest}. */
    public static String normalize(String image) {
        String s = image.trim();
        String repo = Manifests.repository(s);
        String rest = s.substring(repo.length());
        if (rest.isEmpty()) {
            rest = ":latest";
        }
        int slash = repo.indexOf('/');
        String first = slash < 0 ? "" : repo.substring(0, slash);
        boolean hasRegistry = slash >= 0 && (first.contains(".") || first.contains(":") || first.equals("localhost"));
        if (!hasRegistry) {
            repo = "docker.io/" + (slash < 0 ? "library/" + repo : repo);
        }
        return repo + rest;
    }

    private static String readString(FileChannel ch, long pos, long size) throws IOException {
        if (size > 16 * 1024 * 1024) {
            throw new IOException("tar entry too large for an index: " + size + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new IOException("truncated tar");
            }
        }
        return new String(b.array(), StandardCharsets.UTF_8);
    }

    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] h, int off, int len) throws IOException {
        if ((h[off] & 0x80) != 0) { // GNU base-256 for sizes over 8 GiB
            long v = h[off] & 0x7f;
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        String s = field(h, off, len).trim();
        if (s.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new IOException("not a tar file (bad size field '" + s + "')");
        }
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }
}
