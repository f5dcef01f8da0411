package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;

/**
 * Reads a YAML file of networking.istio.io resources (any number of documents, all served API
 * versions) into a {@link ParsedSource}. Errors are per document: a document that does not
 * validate is rejected with the file, line, resource and field, and the others are still read.
 * Only a YAML syntax error (or an I/O error) makes the whole file unreadable, since nothing after
 * it can be trusted. Documents of other groups or kinds are listed as ignored. Thread-safe.
 *
 * <p>What reading may cost is bounded by {@link ConfigLimits}: a file that is too large, holds
 * too many aliases, expands too much through them or nests too deeply is unreadable as a whole,
 * with a message that says which bound it broke, and is never expanded in memory.
 */
public final class IstioYamlReader {

    private final DocumentParser parser;
    private final ConfigLimits limits;

    /** A reader with {@link ConfigLimits#defaults()}. */
    public IstioYamlReader() {
        this(ConfigLimits.defaults());
    }

    public IstioYamlReader(ConfigLimits limits) {
        this.limits = requireNonNull(limits, "limits");
        ObjectMapper mapper = new ObjectMapper();
        // KubernetesSerialization configures the mapper it is given; the introspector shares it.
        KubernetesSerialization serialization = new KubernetesSerialization(mapper, true);
        this.parser = new DocumentParser(serialization, new ModelIntrospector(mapper));
    }

    /**
     * Reads {@code file} as UTF-8. Its name in messages is its path relative to {@code configDir},
     * with {@code /} separators, e.g. {@code routing/reviews.yaml}. A file over
     * {@link ConfigLimits#maxFileBytes()} is not read (not even while it grows).
     */
    public ParsedSource read(Path configDir, Path file) {
        requireNonNull(configDir, "configDir");
        requireNonNull(file, "file");
        String source = sourceName(configDir, file);
        String text;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes((int) limits.maxFileBytes() + 1);
            if (bytes.length > limits.maxFileBytes()) {
                return unreadable(source, 0, tooLarge(Math.max(bytes.length, sizeOf(file)), "bytes"));
            }
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return unreadable(source, 0, "cannot read the file: not valid UTF-8");
        } catch (IOException | UncheckedIOException e) {
            return unreadable(source, 0, "cannot read the file: " + e);
        }
        return read(source, text);
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private String tooLarge(long size, String unit) {
        return "the file is too large: " + size + " " + unit + " (limit: " + limits.maxFileBytes() + ", "
                + ConfigLimits.FILE_BYTES_OPTION + "); it was not read";
    }

    /** Parses YAML text; {@code sourceName} is what messages call the file. */
    public ParsedSource read(String sourceName, String yamlText) {
        requireNonNull(sourceName, "sourceName");
        requireNonNull(yamlText, "yamlText");
        if (yamlText.length() > limits.maxFileBytes()) {
            // UTF-8 takes at least one byte per char: a file within the bound never gets here.
            return unreadable(sourceName, 0, tooLarge(yamlText.length(), "characters"));
        }
        if (GoYamlDialect.looksLikeJson(yamlText)) {
            yamlText = GoYamlDialect.untabJson(yamlText);
        }
        LoaderOptions options = loaderOptions();
        List<Node> documents = new ArrayList<>();
        KubectlScalars resolver = new KubectlScalars();
        int[] codePoints = null;
        AliasExpansion expansion = new AliasExpansion();
        try {
            // Compose the whole file before using any of it: a syntax error anywhere makes the file
            // unreadable. Composing shares what aliases point at; nothing is expanded before the
            // expansion is known to be within bounds.
            Composer composer = new Composer(new ParserImpl(new StreamReader(new StringReader(yamlText)), options),
                    resolver, options);
            while (composer.checkNode()) {
                Node document = composer.getNode();
                if (yamlText.indexOf('[') >= 0) {
                    codePoints = codePoints != null ? codePoints : yamlText.codePoints().toArray();
                    GoYamlDialect.mergeFlowColons(document, codePoints, resolver);
                }
                long added = expansion.add(document);
                if (added > limits.maxAliasExpansion()) {
                    return unreadable(sourceName, new DocumentNode(document).firstLine(), "aliases expand the file by "
                            + (added == Long.MAX_VALUE ? "more than " + Long.MAX_VALUE : added) + " nodes (limit: "
                            + limits.maxAliasExpansion() + ", " + ConfigLimits.ALIAS_EXPANSION_OPTION
                            + "); it was not expanded");
                }
                documents.add(document);
            }
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            return unreadable(sourceName, line, limitText(DocumentParser.problemText(e)));
        } catch (YAMLException e) {
            return unreadable(sourceName, 0, limitText(DocumentParser.problemText(e)));
        }
        PlainYamlConstructor constructor = new PlainYamlConstructor(options);
        DocumentParser.Results results = new DocumentParser.Results();
        for (Node document : documents) {
            parseSafely(sourceName, new DocumentNode(document), constructor, results);
        }
        return new ParsedSource(sourceName, false, results.resources, results.rejections, results.ignored);
    }

    private LoaderOptions loaderOptions() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(limits.maxAliases());
        options.setNestingDepthLimit(limits.maxNestingDepth());
        options.setCodePointLimit((int) limits.maxFileBytes());
        options.setProcessComments(false);
        return options;
    }

    /** SnakeYAML's messages for its bounds, with the option that sets each. */
    private String limitText(String problem) {
        if (problem.startsWith("Number of aliases for non-scalar nodes exceeds")) {
            return "too many aliases to mappings and lists (limit: " + limits.maxAliases() + ", "
                    + ConfigLimits.ALIASES_OPTION + ")";
        }
        if (problem.startsWith("Nesting Depth exceeded")) {
            return "mappings and lists nest too deeply (limit: " + limits.maxNestingDepth() + ", "
                    + ConfigLimits.NESTING_DEPTH_OPTION + ")";
        }
        if (problem.startsWith("The incoming YAML document exceeds the limit")) {
            return tooLarge(limits.maxFileBytes() + 1, "code points");
        }
        return problem;
    }

    /** A bug in one document's handling must not cost the other documents of the file. */
    private void parseSafely(String sourceName, DocumentNode document, PlainYamlConstructor constructor,
            DocumentParser.Results results) {
        try {
            parser.parse(sourceName, document, constructor, results);
        } catch (RuntimeException e) {
            results.rejections.add(new Rejection(null, new Origin(sourceName, document.firstLine()), null,
                    "unexpected error: " + e));
        }
    }

    private static ParsedSource unreadable(String source, int line, String message) {
        Rejection rejection = new Rejection(null, new Origin(source, line), null, message);
        return new ParsedSource(source, true, List.of(), List.of(rejection), List.of());
    }

    private static String sourceName(Path configDir, Path file) {
        Path relative;
        try {
            relative = configDir.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize());
        } catch (IllegalArgumentException e) {
            relative = file;
        }
        return relative.toString().replace(relative.getFileSystem().getSeparator(), "/");
    }
}
