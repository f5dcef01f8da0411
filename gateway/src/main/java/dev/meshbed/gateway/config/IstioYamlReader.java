package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
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
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads a YAML file of networking.istio.io resources (any number of documents, all served API
 * versions) into a {@link ParsedSource}. Errors are per document: a document that does not
 * validate is rejected with the file, line, resource and field, and the others are still read.
 * Only a YAML syntax error (or an I/O error) makes the whole file unreadable, since nothing after
 * it can be trusted. Documents of other groups or kinds are listed as ignored. Thread-safe.
 */
public final class IstioYamlReader {

    private final DocumentParser parser;

    public IstioYamlReader() {
        ObjectMapper mapper = new ObjectMapper();
        // KubernetesSerialization configures the mapper it is given; the introspector shares it.
        KubernetesSerialization serialization = new KubernetesSerialization(mapper, true);
        this.parser = new DocumentParser(serialization, new ModelIntrospector(mapper));
    }

    /**
     * Reads {@code file} as UTF-8. Its name in messages is its path relative to {@code configDir},
     * with {@code /} separators, e.g. {@code routing/reviews.yaml}.
     */
    public ParsedSource read(Path configDir, Path file) {
        requireNonNull(configDir, "configDir");
        requireNonNull(file, "file");
        String source = sourceName(configDir, file);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            return unreadable(source, 0, "cannot read the file: not valid UTF-8");
        } catch (IOException | UncheckedIOException e) {
            return unreadable(source, 0, "cannot read the file: " + e);
        }
        return read(source, text);
    }

    /** Parses YAML text; {@code sourceName} is what messages call the file. */
    public ParsedSource read(String sourceName, String yamlText) {
        requireNonNull(sourceName, "sourceName");
        requireNonNull(yamlText, "yamlText");
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        List<Node> documents = new ArrayList<>();
        try {
            // Compose the whole file before using any of it: a syntax error anywhere makes the file unreadable.
            Composer composer = new Composer(new ParserImpl(new StreamReader(new StringReader(yamlText)), options),
                    new Resolver(), options);
            while (composer.checkNode()) {
                documents.add(composer.getNode());
            }
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            return unreadable(sourceName, line, DocumentParser.problemText(e));
        } catch (YAMLException e) {
            return unreadable(sourceName, 0, DocumentParser.problemText(e));
        }
        PlainYamlConstructor constructor = new PlainYamlConstructor(options);
        DocumentParser.Results results = new DocumentParser.Results();
        for (Node document : documents) {
            parseSafely(sourceName, new DocumentNode(document), constructor, results);
        }
        return new ParsedSource(sourceName, false, results.resources, results.rejections, results.ignored);
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
