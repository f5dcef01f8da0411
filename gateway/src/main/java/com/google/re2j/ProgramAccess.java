package com.google.re2j;

import static java.util.Objects.requireNonNull;

/**
 * Read-only access to the program RE2/J compiles a {@link Pattern} to, for meshbed's full-match
 * DFA ({@code dev.meshbed.gateway.config.FullMatchDfa}): RE2/J runs every match on its NFA
 * (a Pike VM, linear in the input but some 20 ns per live thread and byte), while RE2 itself, as
 * Envoy uses it, runs a lazily built DFA. RE2/J keeps its program package-private, hence this
 * class in its package; it only reads, and copies nothing RE2/J does not already hold.
 *
 * <p>Written against RE2/J 1.8; an upgrade that changes {@code Prog} or {@code Inst} fails to
 * compile here rather than misbehave.
 */
public final class ProgramAccess {

    public static final int ALT = Inst.ALT;
    public static final int ALT_MATCH = Inst.ALT_MATCH;
    public static final int CAPTURE = Inst.CAPTURE;
    public static final int EMPTY_WIDTH = Inst.EMPTY_WIDTH;
    public static final int FAIL = Inst.FAIL;
    public static final int MATCH = Inst.MATCH;
    public static final int NOP = Inst.NOP;
    public static final int RUNE = Inst.RUNE;
    public static final int RUNE1 = Inst.RUNE1;
    public static final int RUNE_ANY = Inst.RUNE_ANY;
    public static final int RUNE_ANY_NOT_NL = Inst.RUNE_ANY_NOT_NL;

    public static final int EMPTY_BEGIN_LINE = Utils.EMPTY_BEGIN_LINE;
    public static final int EMPTY_END_LINE = Utils.EMPTY_END_LINE;
    public static final int EMPTY_BEGIN_TEXT = Utils.EMPTY_BEGIN_TEXT;
    public static final int EMPTY_END_TEXT = Utils.EMPTY_END_TEXT;
    public static final int EMPTY_WORD_BOUNDARY = Utils.EMPTY_WORD_BOUNDARY;
    public static final int EMPTY_NO_WORD_BOUNDARY = Utils.EMPTY_NO_WORD_BOUNDARY;

    private final Inst[] inst;
    private final int size;
    private final int start;

    private ProgramAccess(Prog prog) {
        this.inst = prog.inst;
        this.size = prog.numInst();
        this.start = prog.start;
    }

    public static ProgramAccess of(Pattern pattern) {
        return new ProgramAccess(requireNonNull(pattern, "pattern").re2().prog);
    }

    /** Number of instructions, as {@link Pattern#programSize()}. */
    public int size() {
        return size;
    }

    public int start() {
        return start;
    }

    public int op(int pc) {
        return inst[pc].op;
    }

    /** The next instruction (all but MATCH and FAIL). */
    public int out(int pc) {
        return inst[pc].out;
    }

    /** ALT: the other branch; EMPTY_WIDTH: the EMPTY_* conditions. */
    public int arg(int pc) {
        return inst[pc].arg;
    }

    /** Whether the rune instruction at {@code pc} consumes {@code rune}, as RE2/J's NFA decides. */
    public boolean matchRune(int pc, int rune) {
        Inst i = inst[pc];
        return switch (i.op) {
            case Inst.RUNE -> i.matchRune(rune);
            case Inst.RUNE1 -> rune == i.runes[0];
            case Inst.RUNE_ANY -> true;
            case Inst.RUNE_ANY_NOT_NL -> rune != '\n';
            default -> false;
        };
    }

    /** RE2's word characters for {@code \b}: ASCII letters, digits and underscore. */
    public static boolean isWordRune(int rune) {
        return Utils.isWordRune(rune);
    }

    /**
     * An upper estimate of the program size of {@code regex}, from its parse tree alone (as Go's
     * regexp/syntax does before compiling): RE2/J expands counted repetitions when compiling, so
     * {@code ((a{1000}){1000}){1000}} would otherwise build a billion instructions. Saturates at
     * {@code cap + 1}.
     *
     * @throws PatternSyntaxException when the pattern does not parse
     */
    public static long estimatedProgramSize(String regex, long cap) {
        requireNonNull(regex, "regex");
        return size(Parser.parse(regex, RE2.PERL), cap);
    }

    private static long size(Regexp re, long cap) {
        long n = switch (re.op) {
            case LITERAL -> re.runes.length;
            case CAPTURE, STAR -> 2 + size(re.subs[0], cap);
            case PLUS, QUEST -> 1 + size(re.subs[0], cap);
            case CONCAT -> sum(re.subs, cap);
            case ALTERNATE -> sum(re.subs, cap) + re.subs.length - 1;
            case REPEAT -> {
                long sub = size(re.subs[0], cap);
                if (re.max == -1) {
                    yield re.min == 0 ? 2 + sub : 1 + re.min * sub;
                }
                yield re.max * sub + (re.max - re.min);
            }
            default -> 1;
        };
        return Math.min(n, cap + 1);
    }

    private static long sum(Regexp[] subs, long cap) {
        long n = 0;
        for (Regexp sub : subs) {
            n = Math.min(n + size(sub, cap), cap + 1);
        }
        return n;
    }
}
