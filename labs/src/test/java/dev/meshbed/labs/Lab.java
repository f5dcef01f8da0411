package dev.meshbed.labs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A lab as its Markdown says it: for each mode it has ({@code ## Local mode}, {@code ## In the
 * cluster}), the steps an attendee types ({@code ```sh} blocks; {@code ```sh expect-failure} for a
 * step that fails on purpose) and what they should see after each ({@code ```expect} blocks: each
 * line must appear in the step's output, {@code ...} standing for anything that varies).
 */
record Lab(Path file, String title, List<Section> sections) {

    static final String LOCAL = "Local mode";
    static final String CLUSTER = "In the cluster";

    record Step(int number, String commands, boolean expectFailure, List<String> expected) {
    }

    record Section(String mode, List<Step> steps) {
    }

    static Lab parse(Path file) throws IOException {
        return parse(file, Files.readString(file));
    }

    static Lab parse(Path file, String markdown) {
        String title = "";
        List<Section> sections = new ArrayList<>();
        String mode = null;
        List<Step> steps = null;
        String fence = null;
        StringBuilder block = null;
        for (String line : markdown.split("\n", -1)) {
            if (fence != null) {
                if (line.strip().equals("```")) {
                    String text = block.toString();
                    if (steps != null && fence.startsWith("sh")) {
                        steps.add(new Step(steps.size() + 1, text, fence.contains("expect-failure"), new ArrayList<>()));
                    } else if (steps != null && fence.equals("expect")) {
                        if (steps.isEmpty()) {
                            throw new IllegalArgumentException(file + ": an expect block before any sh block in " + mode);
                        }
                        text.lines().filter(l -> !l.isBlank()).forEach(steps.get(steps.size() - 1).expected()::add);
                    }
                    fence = null;
                } else {
                    block.append(line).append('\n');
                }
                continue;
            }
            if (line.startsWith("```")) {
                fence = line.substring(3).strip();
                block = new StringBuilder();
            } else if (line.startsWith("# ") && title.isEmpty()) {
                title = line.substring(2).strip();
            } else if (line.startsWith("## ")) {
                String heading = line.substring(3).strip();
                if (heading.equals(LOCAL) || heading.equals(CLUSTER)) {
                    mode = heading;
                    steps = new ArrayList<>();
                    sections.add(new Section(mode, steps));
                } else {
                    mode = null;
                    steps = null;
                }
            }
        }
        if (fence != null) {
            throw new IllegalArgumentException(file + ": a ``` block is not closed");
        }
        return new Lab(file, title, List.copyOf(sections));
    }

    Optional<Section> section(String mode) {
        return sections.stream().filter(s -> s.mode().equals(mode)).findFirst();
    }

    /** An expected line as a pattern: literal text, {@code ...} matching anything within the line. */
    static Pattern pattern(String expectedLine) {
        String[] parts = expectedLine.strip().split("\\.\\.\\.", -1);
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                re.append(".*");
            }
            re.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(re.toString());
    }

    /**
     * Whether a lab is among those asked for with {@code -Dlabs.only=07,08} (prefixes of the file
     * names, comma-separated; while writing a lab); every lab when the property is unset.
     */
    static boolean selected(Path file) {
        String only = System.getProperty("labs.only", "").strip();
        String name = file.getFileName().toString();
        return only.isEmpty() || java.util.Arrays.stream(only.split(",")).map(String::strip)
                .anyMatch(prefix -> !prefix.isEmpty() && name.startsWith(prefix));
    }

    /** The labs, in their order: labs/NN-*.md. */
    static List<Path> all(Path labsDir) throws IOException {
        try (var files = Files.list(labsDir)) {
            return files.filter(f -> f.getFileName().toString().matches("\\d\\d-.*\\.md")).sorted().toList();
        }
    }
}
