package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import com.google.re2j.ProgramAccess;

/**
 * Compiles Istio regular expressions: RE2 syntax (RE2/J's parser, the same grammar as the Go
 * regexp istiod validates with), with Istio's and Envoy's bounds, and matched in linear time (see
 * {@link Re2Pattern}). What RE2 rejects is rejected here with RE2's own words, and the constructs
 * people bring from Perl or Java (backreferences, lookaround, atomic groups, possessive
 * quantifiers) are named as such.
 */
public final class Regexes {

    /**
     * Istio's validation: {@code regex is too large, max length allowed is 1024} (it approximates
     * Envoy's program size by the length).
     */
    public static final int MAX_LENGTH = 1024;

    /**
     * Envoy's {@code re2.max_program_size.error_level} as Istio's bootstrap sets it (Envoy's own
     * default is 100; Istio raises it so that what its length check lets through is not NACKed).
     */
    public static final int MAX_PROGRAM_SIZE = 32768;

    private Regexes() {
    }

    /**
     * Compiles an RE2 pattern, to be matched against whole values.
     *
     * @throws InvalidRegexException when the pattern is not valid RE2 or over a bound; its message
     *     says why
     */
    public static Re2Pattern compile(String re2) {
        requireNonNull(re2, "re2");
        if (re2.length() > MAX_LENGTH) {
            throw new InvalidRegexException("regex is too large: " + re2.length() + " characters (expected: <= "
                    + MAX_LENGTH + ")");
        }
        try {
            // Counted repetitions are expanded when compiling; bound them before they are.
            long estimate = ProgramAccess.estimatedProgramSize(re2, MAX_PROGRAM_SIZE);
            if (estimate > MAX_PROGRAM_SIZE) {
                throw tooLarge("over " + MAX_PROGRAM_SIZE);
            }
            Pattern pattern = Pattern.compile(re2);
            if (pattern.programSize() > MAX_PROGRAM_SIZE) {
                throw tooLarge(String.valueOf(pattern.programSize()));
            }
            return new Re2Pattern(pattern);
        } catch (PatternSyntaxException e) {
            throw new InvalidRegexException(describe(e));
        }
    }

    private static InvalidRegexException tooLarge(String size) {
        return new InvalidRegexException("regex is too large: program size " + size + " (expected: <= "
                + MAX_PROGRAM_SIZE + ", Envoy's re2.max_program_size.error_level under Istio)");
    }

    /** RE2's description of the error, with the construct named when it comes from another dialect. */
    static String describe(PatternSyntaxException e) {
        String what = e.getPattern() == null ? "" : e.getPattern();
        String description = e.getDescription();
        String rejected = description + ": `" + what + "`";
        if (description.equals("invalid escape sequence")) {
            if (what.length() == 2 && what.charAt(1) >= '1' && what.charAt(1) <= '9') {
                return "backreference " + what + " is not supported by RE2 (" + rejected + ")";
            }
            if (what.equals("\\k")) {
                return "backreference \\k<name> is not supported by RE2 (" + rejected + ")";
            }
        } else if (description.equals("invalid or unsupported Perl syntax")) {
            if (what.equals("(?=") || what.equals("(?!")) {
                return "lookahead " + what + " is not supported by RE2 (" + rejected + ")";
            }
            if (what.equals("(?>")) {
                return "atomic group (?> is not supported by RE2 (" + rejected + ")";
            }
        } else if (description.equals("invalid named capture")
                && (what.startsWith("(?<=") || what.startsWith("(?<!"))) {
            return "lookbehind " + what.substring(0, 4) + " is not supported by RE2 (" + rejected + ")";
        } else if (description.equals("invalid nested repetition operator") && what.endsWith("+")
                && what.length() >= 2) {
            return "possessive quantifier " + what + " is not supported by RE2 (" + rejected + ")";
        }
        return rejected;
    }

    /** A regex that RE2 rejects, or that is over Istio's or Envoy's bounds. */
    public static final class InvalidRegexException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidRegexException(String message) {
            super(message);
        }
    }
}
