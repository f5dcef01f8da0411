package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles Istio regular expressions with {@link java.util.regex}. Istio (and Envoy) use RE2
 * syntax, which mostly reads the same in Java; the differences that would change what a pattern
 * means, or make a valid pattern fail, are translated here:
 * <ul>
 *   <li>{@code (?P<name>re)} becomes {@code (?<name>re)} (a plain group when the name is not a
 *       valid Java group name, e.g. contains {@code _}: numbering stays the same);</li>
 *   <li>POSIX classes {@code [[:alpha:]]} become {@code [\p{Alpha}]} (Java would read them as a
 *       nested set of the letters);</li>
 *   <li>inside a character class, {@code [} and {@code &} are literals in RE2 but operators in
 *       Java, and a leading {@code ]} is a literal; they are escaped;</li>
 *   <li>a {@code {} that does not start a repetition is a literal in RE2 (Java rejects it);</li>
 *   <li>octal escapes ({@code \0}, {@code \12}, {@code \123}) become {@code \x{..}}.</li>
 * </ul>
 * Constructs RE2 does not have (lookaround, atomic groups, backreferences, possessive
 * quantifiers) are rejected with a {@link PatternSyntaxException}, as istiod would reject them.
 */
public final class Regexes {

    private static final Map<String, String> POSIX_CLASSES = Map.ofEntries(
            Map.entry("alnum", "\\p{Alnum}"),
            Map.entry("alpha", "\\p{Alpha}"),
            Map.entry("ascii", "\\p{ASCII}"),
            Map.entry("blank", "\\p{Blank}"),
            Map.entry("cntrl", "\\p{Cntrl}"),
            Map.entry("digit", "\\p{Digit}"),
            Map.entry("graph", "\\p{Graph}"),
            Map.entry("lower", "\\p{Lower}"),
            Map.entry("print", "\\p{Print}"),
            Map.entry("punct", "\\p{Punct}"),
            Map.entry("space", "\\p{Space}"),
            Map.entry("upper", "\\p{Upper}"),
            Map.entry("word", "\\w"),
            Map.entry("xdigit", "\\p{XDigit}"));

    private static final Pattern JAVA_GROUP_NAME = Pattern.compile("[a-zA-Z][a-zA-Z0-9]*");
    private static final Pattern REPETITION = Pattern.compile("\\{\\d+(,\\d*)?}");

    private Regexes() {
    }

    /**
     * Compiles an RE2 pattern. Istio matches regexes against the whole value, so callers use
     * {@link java.util.regex.Matcher#matches()}.
     *
     * @throws PatternSyntaxException when the pattern is not valid RE2 or Java; its
     *     {@link PatternSyntaxException#getDescription()} says why
     */
    public static Pattern compile(String re2) {
        requireNonNull(re2, "re2");
        return Pattern.compile(translate(re2));
    }

    /** The Java form of an RE2 pattern (see class comment). */
    static String translate(String re) {
        requireNonNull(re, "re");
        StringBuilder out = new StringBuilder(re.length() + 8);
        int n = re.length();
        int i = 0;
        boolean inClass = false;
        int classContentStart = -1;
        while (i < n) {
            char c = re.charAt(i);
            if (c == '\\') {
                i = escape(re, i, out, inClass);
                continue;
            }
            if (inClass) {
                if (c == '[' && re.startsWith("[:", i)) {
                    i = posixClass(re, i, out);
                } else if (c == '[' || c == '&' || (c == ']' && i == classContentStart)) {
                    out.append('\\').append(c);
                    i++;
                } else {
                    out.append(c);
                    inClass = c != ']';
                    i++;
                }
                continue;
            }
            switch (c) {
                case '[' -> {
                    out.append('[');
                    i++;
                    if (i < n && re.charAt(i) == '^') {
                        out.append('^');
                        i++;
                    }
                    inClass = true;
                    classContentStart = i;
                }
                case '(' -> i = group(re, i, out);
                case '*', '+', '?' -> {
                    out.append(c);
                    i = quantifierTail(re, i + 1, out);
                }
                case '{' -> {
                    Matcher m = REPETITION.matcher(re).region(i, n);
                    if (m.lookingAt()) {
                        out.append(m.group());
                        i = quantifierTail(re, m.end(), out);
                    } else {
                        out.append("\\{");
                        i++;
                    }
                }
                default -> {
                    out.append(c);
                    i++;
                }
            }
        }
        return out.toString();
    }

    /**
     * Copies what follows a quantifier: an optional lazy {@code ?}. A {@code +} there would make
     * it possessive in Java; RE2 calls that a nested repetition and rejects it.
     */
    private static int quantifierTail(String re, int i, StringBuilder out) {
        if (i < re.length() && re.charAt(i) == '?') {
            out.append('?');
            i++;
        }
        if (i < re.length() && re.charAt(i) == '+') {
            throw new PatternSyntaxException("possessive quantifiers are not supported (RE2)", re, i);
        }
        return i;
    }

    private static int group(String re, int i, StringBuilder out) {
        if (re.startsWith("(?=", i) || re.startsWith("(?!", i) || re.startsWith("(?<=", i)
                || re.startsWith("(?<!", i)) {
            throw new PatternSyntaxException("lookaround assertions are not supported (RE2)", re, i);
        }
        if (re.startsWith("(?>", i)) {
            throw new PatternSyntaxException("atomic groups are not supported (RE2)", re, i);
        }
        int nameStart = re.startsWith("(?P<", i) ? i + 4 : re.startsWith("(?<", i) ? i + 3 : -1;
        if (nameStart < 0) {
            // A plain group, or flags such as (?i) and (?:, which read the same in Java.
            boolean flags = re.startsWith("(?", i);
            out.append(flags ? "(?" : "(");
            return i + (flags ? 2 : 1);
        }
        int nameEnd = re.indexOf('>', nameStart);
        if (nameEnd < 0) {
            throw new PatternSyntaxException("unterminated group name", re, i);
        }
        String name = re.substring(nameStart, nameEnd);
        out.append(JAVA_GROUP_NAME.matcher(name).matches() ? "(?<" + name + ">" : "(");
        return nameEnd + 1;
    }

    private static int posixClass(String re, int i, StringBuilder out) {
        int end = re.indexOf(":]", i + 2);
        if (end < 0) {
            out.append("\\[");
            return i + 1;
        }
        String name = re.substring(i + 2, end);
        boolean negated = name.startsWith("^");
        String java = POSIX_CLASSES.get(negated ? name.substring(1) : name);
        if (java == null) {
            throw new PatternSyntaxException("invalid character class range [:" + name + ":]", re, i);
        }
        if (negated) {
            java = java.equals("\\w") ? "\\W" : "\\P" + java.substring(2);
        }
        out.append(java);
        return end + 2;
    }

    /** Copies one escape sequence starting at the backslash at {@code i}; returns the next index. */
    private static int escape(String re, int i, StringBuilder out, boolean inClass) {
        int n = re.length();
        if (i + 1 >= n) {
            out.append('\\');
            return i + 1;
        }
        char d = re.charAt(i + 1);
        if (d >= '0' && d <= '9') {
            return octal(re, i, out);
        }
        if (d == 'k') {
            // Java's named backreference \k<name>; RE2 has no backreferences.
            throw new PatternSyntaxException("backreferences are not supported (RE2)", re, i);
        }
        if ((d == 'p' || d == 'P' || d == 'x') && i + 2 < n && re.charAt(i + 2) == '{') {
            int close = re.indexOf('}', i + 3);
            int end = close < 0 ? n : close + 1;
            out.append(re, i, end);
            return end;
        }
        if (d == 'Q' && !inClass) {
            int close = re.indexOf("\\E", i + 2);
            int end = close < 0 ? n : close + 2;
            out.append(re, i, end);
            return end;
        }
        out.append('\\').append(d);
        return i + 2;
    }

    /**
     * RE2 reads {@code \0}, {@code \0nn} and {@code \nnn} (two or three octal digits) as octal
     * codes and rejects a lone {@code \1}..{@code \9} (a backreference); Java reads all of them
     * as backreferences, so octal codes are rewritten as {@code \x{..}}.
     */
    private static int octal(String re, int i, StringBuilder out) {
        int n = re.length();
        char first = re.charAt(i + 1);
        int j = i + 2;
        boolean leadingZero = first == '0';
        if (!leadingZero && (first > '7' || j >= n || !isOctal(re.charAt(j)))) {
            throw new PatternSyntaxException("backreferences are not supported (RE2)", re, i);
        }
        int end = i + 1;
        while (end < n && end - (i + 1) < 3 && isOctal(re.charAt(end))) {
            end++;
        }
        int value = Integer.parseInt(re.substring(i + 1, end), 8);
        out.append("\\x{").append(Integer.toHexString(value)).append('}');
        return end;
    }

    private static boolean isOctal(char c) {
        return c >= '0' && c <= '7';
    }
}
