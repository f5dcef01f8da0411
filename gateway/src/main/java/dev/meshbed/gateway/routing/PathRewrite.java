package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.config.Re2Pattern;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A path rewrite with Envoy's semantics; the query string is always kept.
 *
 * <ul>
 *   <li>{@link #prefix}: Envoy's {@code prefix_rewrite} (what Istio makes of {@code rewrite.uri} and
 *       of a redirect's {@code prefixRewrite}): the part of the path the route matched is replaced.
 *       Istio makes one Envoy route per match block, so which part that is depends on the block
 *       that matched: its prefix for a {@code uri: {prefix}} block, the whole path for an exact or
 *       regex block (Envoy's path and safe_regex routes), and {@code /} for a block without a uri
 *       condition or a route without match blocks (Istio's default match is {@code prefix: /}).</li>
 *   <li>{@link #regex}: Envoy's {@code regex_rewrite} ({@code rewrite.uriRegexRewrite}): every match
 *       of the RE2 pattern in the path (query excluded) is substituted; {@code \1} names a group.</li>
 * </ul>
 */
public final class PathRewrite {

    /** What replaces the matched part of a path for one match block. */
    private static final int WHOLE_PATH = -1;

    private final String replacement;
    private final RequestMatcher[] blocks;
    private final int[] matchedLengths;
    private final boolean sameForAll;
    private final Re2Pattern pattern;
    private final String substitution;
    private final String re2jSubstitution;

    private PathRewrite(String replacement, RequestMatcher[] blocks, int[] matchedLengths, Re2Pattern pattern,
            String substitution) {
        this.replacement = replacement;
        this.blocks = blocks;
        this.matchedLengths = matchedLengths;
        this.sameForAll = Arrays.stream(matchedLengths).distinct().count() <= 1;
        this.pattern = pattern;
        this.substitution = substitution;
        this.re2jSubstitution = substitution == null ? null : re2jReplacement(substitution);
    }

    /**
     * @param replacement what replaces the matched part
     * @param blocks the route's match blocks that apply on this port, in order (empty: none)
     */
    public static PathRewrite prefix(String replacement, List<RequestMatcher> blocks) {
        requireNonNull(replacement, "replacement");
        RequestMatcher[] b = blocks.toArray(new RequestMatcher[0]);
        int[] lengths = new int[Math.max(1, b.length)];
        lengths[0] = 1; // no block: Istio's default match, prefix "/"
        for (int i = 0; i < b.length; i++) {
            lengths[i] = matchedLength(b[i]);
        }
        return new PathRewrite(replacement, b, lengths, null, null);
    }

    /** @param substitution RE2 substitution: {@code \1}..{@code \9} name groups, {@code \\} is a backslash */
    public static PathRewrite regex(Re2Pattern pattern, String substitution) {
        requireNonNull(pattern, "pattern");
        requireNonNull(substitution, "substitution");
        return new PathRewrite(null, new RequestMatcher[0], new int[] {0}, pattern, substitution);
    }

    private static int matchedLength(RequestMatcher block) {
        for (RequestMatcher.Condition c : block.conditions()) {
            if (c.field().equals("uri")) {
                return c.matcher() instanceof StringMatcher.Prefix p ? p.value().length() : WHOLE_PATH;
            }
        }
        return 1;
    }

    /** RE2's {@code \N} substitution syntax in RE2/J's ({@code $N}); a literal {@code $} is escaped. */
    static String re2jReplacement(String re2) {
        StringBuilder out = new StringBuilder(re2.length() + 4);
        for (int i = 0; i < re2.length(); i++) {
            char c = re2.charAt(i);
            if (c == '\\' && i + 1 < re2.length()) {
                char next = re2.charAt(++i);
                if (next >= '0' && next <= '9') {
                    out.append('$').append(next);
                } else if (next == '\\') {
                    out.append("\\\\");
                } else {
                    throw new IllegalArgumentException("uriRegexRewrite.rewrite: \"" + re2
                            + "\" has an invalid escape \\" + next + " (expected: \\0-\\9 or \\\\)");
                }
            } else if (c == '\\') {
                throw new IllegalArgumentException("uriRegexRewrite.rewrite: \"" + re2
                        + "\" ends with a lone backslash (expected: \\0-\\9 or \\\\)");
            } else if (c == '$') {
                out.append("\\$");
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * The rewritten path and query.
     *
     * @param pathAndQuery the request's origin-form target
     * @param request the request the route matched (to find the match block when it matters)
     */
    public String apply(String pathAndQuery, RequestView request) {
        int q = pathAndQuery.indexOf('?');
        String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        String query = q < 0 ? "" : pathAndQuery.substring(q);
        if (pattern != null) {
            return pattern.re2j().matcher(path).replaceAll(re2jSubstitution) + query;
        }
        int length = matchedLengths[0];
        if (!sameForAll) {
            for (int i = 0; i < blocks.length; i++) {
                if (blocks[i].matches(request)) {
                    length = matchedLengths[i];
                    break;
                }
            }
        }
        if (length == WHOLE_PATH || length > path.length()) {
            return replacement + query;
        }
        return replacement + pathAndQuery.substring(length);
    }

    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (pattern != null) {
            out.put("regex_rewrite", Map.of("pattern", pattern.pattern(), "substitution", substitution));
        } else {
            out.put("prefix_rewrite", replacement);
        }
        return out;
    }
}
