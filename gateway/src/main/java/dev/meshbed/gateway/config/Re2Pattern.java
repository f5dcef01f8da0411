package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import com.google.re2j.Pattern;
import com.google.re2j.ProgramAccess;

/**
 * An Istio regex, compiled: RE2 syntax and semantics (RE2/J parses and compiles it), matched
 * against the whole value as Istio does, in time linear in the value (a lazily built DFA; see
 * {@link FullMatchDfa}). Made by {@link Regexes#compile}; safe to share between threads.
 */
public final class Re2Pattern {

    private final Pattern pattern;
    private final FullMatchDfa dfa;

    Re2Pattern(Pattern pattern) {
        this.pattern = requireNonNull(pattern, "pattern");
        this.dfa = new FullMatchDfa(ProgramAccess.of(pattern));
    }

    /** Whether the whole of {@code value} matches (RE2's full match, as Istio's StringMatch regex). */
    public boolean matches(CharSequence value) {
        return dfa.matches(requireNonNull(value, "value"));
    }

    /** The pattern as written. */
    public String pattern() {
        return pattern.pattern();
    }

    /** RE2's measure of its cost: the number of instructions of the compiled program. */
    public int programSize() {
        return pattern.programSize();
    }

    /** RE2/J's own compiled form, for what needs groups (e.g. a regex rewrite). */
    public Pattern re2j() {
        return pattern;
    }

    int cachedDfaStates() {
        return dfa.cachedStates();
    }

    @Override
    public String toString() {
        return pattern.pattern();
    }
}
