package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import com.google.re2j.ProgramAccess;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides whether an RE2 program matches a whole input, with a DFA built lazily from the program
 * as inputs arrive, the way RE2 (and so Envoy) runs a full match: one table look-up per character
 * once a state has been seen, never backtracking. A state is the set of program positions still
 * alive after the characters read so far, plus what the last character was (start of text, a
 * newline, a word character), which {@code ^}, {@code $} and {@code \b} need.
 *
 * <p>States are cached up to {@value #MAX_CACHED_STATES} (the transitions of a state on the
 * characters 0..255, which is all Netty's ISO-8859-1 header and URI strings hold); past that, or
 * for a character above 255, a step is computed without caching: time per character is then
 * bounded by the program size, as in RE2/J's NFA, so a match stays linear in the input.
 *
 * <p>Safe for any number of threads: states are immutable but for their transition slots, which
 * are filled racily with references to immutable states (a thread that reads a slot still empty
 * computes the same state again).
 */
final class FullMatchDfa {

    /** States kept per pattern: about 1 KiB each, so at most some 2 MiB (RE2 gives its DFA 2/3 of 8 MiB). */
    static final int MAX_CACHED_STATES = 2048;

    private static final int CACHED_CHARS = 256;

    // What the previous character was, as far as empty-width assertions care.
    private static final int PREV_TEXT_START = 1;
    private static final int PREV_NEWLINE = 2;
    private static final int PREV_WORD = 4;

    private final ProgramAccess program;
    /** The PREV_* bits this program looks at; the others are dropped so that states merge. */
    private final int prevMask;
    private final ConcurrentHashMap<State, State> cache = new ConcurrentHashMap<>();
    private final AtomicInteger cached = new AtomicInteger();
    private final State start;
    /** Per thread, so that a step costs what the live states cost, not the program's size. */
    private final ThreadLocal<Scratch> scratch;

    FullMatchDfa(ProgramAccess program) {
        this.program = requireNonNull(program, "program");
        int mask = PREV_TEXT_START;
        for (int pc = 0; pc < program.size(); pc++) {
            if (program.op(pc) == ProgramAccess.EMPTY_WIDTH) {
                int cond = program.arg(pc);
                if ((cond & ProgramAccess.EMPTY_BEGIN_LINE) != 0) {
                    mask |= PREV_NEWLINE;
                }
                if ((cond & (ProgramAccess.EMPTY_WORD_BOUNDARY | ProgramAccess.EMPTY_NO_WORD_BOUNDARY)) != 0) {
                    mask |= PREV_WORD;
                }
            }
        }
        this.prevMask = mask;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(program.size()));
        this.start = intern(new int[] {program.start()}, PREV_TEXT_START);
    }

    /** Whether the program matches all of {@code input} (RE2's ANCHOR_BOTH). */
    boolean matches(CharSequence input) {
        State state = start;
        int n = input.length();
        for (int i = 0; i < n; i++) {
            char ch = input.charAt(i);
            int c = ch;
            if (Character.isHighSurrogate(ch) && i + 1 < n && Character.isLowSurrogate(input.charAt(i + 1))) {
                c = Character.toCodePoint(ch, input.charAt(++i));
            }
            State[] slots = state.next;
            State next = slots != null && c < CACHED_CHARS ? slots[c] : null;
            state = next != null ? next : next(state, c);
            if (state.dead) {
                return false;
            }
        }
        return state.acceptsAtEnd();
    }

    /** Number of states cached so far (for tests). */
    int cachedStates() {
        return cached.get();
    }

    private State next(State state, int c) {
        State[] slots = state.next;
        if (slots != null && c < CACHED_CHARS) {
            State next = slots[c];
            if (next == null) {
                next = step(state, c);
                slots[c] = next;
            }
            return next;
        }
        return step(state, c);
    }

    /** Follows the empty transitions from the state's kernel in front of {@code c}, then reads {@code c}. */
    private State step(State state, int c) {
        int[] reached = closure(state, c);
        int[] kernel = new int[reached.length];
        int k = 0;
        for (int pc : reached) {
            if (program.matchRune(pc, c)) {
                kernel[k++] = program.out(pc);
            }
        }
        kernel = Arrays.copyOf(kernel, k);
        Arrays.sort(kernel);
        kernel = dedupe(kernel);
        int prev = (c == '\n' ? PREV_NEWLINE : 0) | (ProgramAccess.isWordRune(c) ? PREV_WORD : 0);
        return intern(kernel, prev & prevMask);
    }

    /**
     * The instructions reachable from the kernel without reading, where the empty-width conditions
     * hold between the state's previous character and {@code c} ({@code -1}: end of text): the
     * rune instructions, and MATCH if reached.
     */
    private int[] closure(State state, int c) {
        int cond = conditions(state.prev, c);
        Scratch scratch = this.scratch.get();
        int mark = scratch.nextMark();
        int[] seen = scratch.seen;
        int[] stack = scratch.stack;
        int[] found = scratch.found;
        int top = 0;
        int n = 0;
        for (int pc : state.kernel) {
            if (seen[pc] != mark) {
                seen[pc] = mark;
                stack[top++] = pc;
            }
        }
        while (top > 0) {
            int pc = stack[--top];
            int op = program.op(pc);
            int first = -1;
            int second = -1;
            if (op == ProgramAccess.ALT || op == ProgramAccess.ALT_MATCH) {
                first = program.out(pc);
                second = program.arg(pc);
            } else if (op == ProgramAccess.CAPTURE || op == ProgramAccess.NOP) {
                first = program.out(pc);
            } else if (op == ProgramAccess.EMPTY_WIDTH) {
                if ((program.arg(pc) & ~cond) == 0) {
                    first = program.out(pc);
                }
            } else if (op != ProgramAccess.FAIL) {
                found[n++] = pc; // a rune instruction, or MATCH
            }
            if (first >= 0 && seen[first] != mark) {
                seen[first] = mark;
                stack[top++] = first;
            }
            if (second >= 0 && seen[second] != mark) {
                seen[second] = mark;
                stack[top++] = second;
            }
        }
        return Arrays.copyOf(found, n);
    }

    /** RE2's empty-width conditions between the previous character and {@code c} (-1: end of text). */
    private static int conditions(int prev, int c) {
        int cond = 0;
        if ((prev & PREV_TEXT_START) != 0) {
            cond |= ProgramAccess.EMPTY_BEGIN_TEXT | ProgramAccess.EMPTY_BEGIN_LINE;
        } else if ((prev & PREV_NEWLINE) != 0) {
            cond |= ProgramAccess.EMPTY_BEGIN_LINE;
        }
        if (c == -1) {
            cond |= ProgramAccess.EMPTY_END_TEXT | ProgramAccess.EMPTY_END_LINE;
        } else if (c == '\n') {
            cond |= ProgramAccess.EMPTY_END_LINE;
        }
        boolean prevWord = (prev & PREV_WORD) != 0;
        cond |= prevWord != ProgramAccess.isWordRune(c)
                ? ProgramAccess.EMPTY_WORD_BOUNDARY : ProgramAccess.EMPTY_NO_WORD_BOUNDARY;
        return cond;
    }

    private State intern(int[] kernel, int prev) {
        State probe = new State(kernel, prev, false);
        State known = cache.get(probe);
        if (known != null) {
            return known;
        }
        if (cached.get() >= MAX_CACHED_STATES) {
            return probe;
        }
        State fresh = new State(kernel, prev, true);
        State raced = cache.putIfAbsent(fresh, fresh);
        if (raced != null) {
            return raced;
        }
        cached.incrementAndGet();
        return fresh;
    }

    private static int[] dedupe(int[] sorted) {
        int k = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) {
                sorted[k++] = sorted[i];
            }
        }
        return k == sorted.length ? sorted : Arrays.copyOf(sorted, k);
    }

    /** Work arrays for {@link #closure}; {@code seen[pc] == mark} means visited in this closure. */
    private static final class Scratch {
        final int[] seen;
        final int[] stack;
        final int[] found;
        private int mark;

        Scratch(int size) {
            seen = new int[size];
            stack = new int[size];
            found = new int[size];
        }

        int nextMark() {
            if (++mark == 0) {
                Arrays.fill(seen, 0);
                mark = 1;
            }
            return mark;
        }
    }

    private final class State {
        /** Program positions to continue from, sorted; empty: no match is possible any more. */
        final int[] kernel;
        final int prev;
        final boolean dead;
        /** Transitions on characters 0..255, filled as they are taken; null when not cached. */
        final State[] next;
        private final int hash;
        /** 0: not known yet, 1: no, 2: yes (racy but idempotent). */
        private int accepts;

        State(int[] kernel, int prev, boolean cache) {
            this.kernel = kernel;
            this.prev = prev;
            this.dead = kernel.length == 0;
            this.next = cache ? new State[CACHED_CHARS] : null;
            this.hash = 31 * Arrays.hashCode(kernel) + prev;
        }

        boolean acceptsAtEnd() {
            int known = accepts;
            if (known == 0) {
                known = 1;
                for (int pc : closure(this, -1)) {
                    if (program.op(pc) == ProgramAccess.MATCH) {
                        known = 2;
                        break;
                    }
                }
                accepts = known;
            }
            return known == 2;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof State s && s.prev == prev && Arrays.equals(s.kernel, kernel);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
