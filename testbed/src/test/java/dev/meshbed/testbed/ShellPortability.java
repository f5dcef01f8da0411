package dev.meshbed.testbed;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A static check that a bash script runs on macOS as well as on Linux: under bash 3.2 (macOS's
 * /bin/bash) and with BSD tools. It flags the bash 4 and 5 syntax that bash 3.2 rejects or
 * misreads, the empty-array expansions that bash 3.2 calls unbound under {@code set -u}, and the
 * GNU-only (or Linux-only) tools and flags, each as file:line, the construct and what to use
 * instead.
 *
 * <p>It reads the script as bash does in the ways that matter here: comments are dropped, the text
 * of quoted strings and here-documents is data (a word like {@code timeout} in a message is not a
 * command), while what expands inside them ({@code ${...}}, {@code $(...)}) is still checked; a
 * command spans its continuation lines. Each line is seen twice, aligned character by character:
 * {@code code}, with the quoted text blanked, where commands and operators are found, and
 * {@code text}, with the quoted text kept, for arguments that are usually quoted (a date format).
 *
 * <p>A tool from the GNU-only list is allowed on a line that also tests for it with
 * {@code command -v TOOL} (used where it exists, with a fallback). An array counts as possibly
 * empty when the script assigns it {@code NAME=()} (or {@code ("$@")}, or declares it with
 * {@code -a} and no value); its {@code "${NAME[@]}"} must then be written
 * {@code ${NAME[@]+"${NAME[@]}"}}. A path under /proc is flagged wherever it is written, in
 * strings too (that is where paths are), but not in comments or here-documents.
 */
final class ShellPortability {

    /** What the check found: where, the construct as written, and why it is not portable. */
    record Finding(String file, int line, String construct, String why) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + construct + ": " + why;
        }
    }

    private ShellPortability() {
    }

    /**
     * Whether the script says in its header (the comment lines it opens with) that it is for Linux
     * only: a line {@code # linux-only}, with or without a reason after it.
     */
    static boolean linuxOnly(String source) {
        for (String line : source.split("\n", -1)) {
            if (!line.startsWith("#")) {
                return false;
            }
            if (LINUX_ONLY.matcher(line).find()) {
                return true;
            }
        }
        return false;
    }

    private static final Pattern LINUX_ONLY = Pattern.compile("^#\\s*linux-only\\b", Pattern.CASE_INSENSITIVE);

    /** The findings for {@code source}, read as the script {@code file}, in line order. */
    static List<Finding> check(String file, String source) {
        List<Logical> lines = Lexer.lex(source);
        List<Finding> out = new ArrayList<>();
        Set<String> maybeEmpty = possiblyEmptyArrays(lines);
        for (Logical l : lines) {
            for (Rule r : SYNTAX) {
                Matcher m = r.pattern.matcher(l.code);
                while (m.find()) {
                    out.add(l.finding(file, m.start(), m.end(), r.why));
                }
            }
            for (Tool t : TOOLS) {
                if (t.guard.matcher(l.code).find()) {
                    continue; // used only where it is installed, with a fallback on the same line
                }
                Matcher m = t.word.matcher(l.code);
                while (m.find()) {
                    out.add(l.finding(file, m.start(), m.end(), t.why));
                }
            }
            for (Flag f : FLAGS) {
                Matcher m = f.word.matcher(l.code);
                while (m.find()) {
                    int end = argsEnd(l.code, m.end());
                    String view = f.inText ? l.text : l.code;
                    Matcher a = f.args.matcher(view.substring(m.end(), end));
                    if (a.find()) {
                        // the construct: the command and the argument word that holds the flag
                        int from = m.end() + a.start();
                        int to = m.end() + a.end();
                        while (from < to && Character.isWhitespace(l.text.charAt(from))) {
                            from++;
                        }
                        while (from > m.end() && !Character.isWhitespace(l.text.charAt(from - 1))) {
                            from--;
                        }
                        while (to < end && !Character.isWhitespace(l.text.charAt(to))) {
                            to++;
                        }
                        out.add(l.finding(file, m.start(), f.command + " " + l.text.substring(from, to), f.why));
                    }
                }
            }
            Matcher proc = PROC.matcher(l.text);
            while (proc.find()) {
                out.add(l.finding(file, proc.start(), proc.end(),
                        "Linux's /proc is not on macOS (ps -p PID -o command= reads a process's command line on both)"));
            }
            emptyArrays(file, l, maybeEmpty, out);
        }
        out.sort((a, b) -> Integer.compare(a.line(), b.line()));
        return out;
    }

    // ---- the rules ------------------------------------------------------------------------------

    private record Rule(Pattern pattern, String why) {
    }

    private record Tool(String name, String why, Pattern word, Pattern guard) {
        Tool(String name, String why) {
            this(name, why, ShellPortability.word(name), Pattern.compile("command\\s+-v\\s+" + Pattern.quote(name) + "(?![\\w.-])"));
        }
    }

    /** A command whose arguments (up to the next ; | & ) or newline) match {@code args}. */
    private record Flag(String command, Pattern args, boolean inText, String why, Pattern word) {
        Flag(String command, Pattern args, boolean inText, String why) {
            this(command, args, inText, why, ShellPortability.word(command));
        }
    }

    private static final String IDENT = "[A-Za-z_][A-Za-z0-9_]*";
    private static final String INDEX = "(?:\\[[^\\]]*\\])?";

    /** Syntax bash 3.2 does not have, found in the code view. */
    private static final List<Rule> SYNTAX = List.of(
            new Rule(Pattern.compile("(?<![\\w-])(?:declare|local|typeset|readonly)(?:\\s+-[a-zA-Z]+)*\\s+-[a-zA-Z]*[Anglu]"),
                    "bash 4: associative arrays, namerefs, -g and the case attributes (declare -A/-n/-g/-l/-u) are not in bash 3.2"),
            new Rule(Pattern.compile("(?<![\\w-])local\\s+-(?=\\s|;|$)"), "bash 4.4: `local -` is not in bash 3.2"),
            new Rule(Pattern.compile("\\$\\{[!#]?" + IDENT + INDEX + "(?:,,?|\\^\\^?)[^}]*\\}?"),
                    "bash 4: case modification ${var,,} ${var^^} is not in bash 3.2: use tr '[:upper:]' '[:lower:]'"),
            new Rule(Pattern.compile("\\$\\{[!#]?" + IDENT + INDEX + "@[QEPAaUuLKk]\\}"),
                    "bash 4.4: the ${var@op} transformations are not in bash 3.2"),
            new Rule(Pattern.compile(";;&|(?<![;&]);&"), "bash 4: the case terminators ;& and ;;& are not in bash 3.2"),
            new Rule(Pattern.compile("\\|&"), "bash 4: |& is not in bash 3.2: write 2>&1 |"),
            new Rule(Pattern.compile("&>>"), "bash 4: &>> is not in bash 3.2: write >>file 2>&1"),
            new Rule(Pattern.compile("(?:\\[\\[|(?<![\\w\\[-])\\[|(?<![\\w-])test|&&|\\|\\|)\\s+(?:!\\s+)?-v\\s"),
                    "bash 4.2: the -v test is not in bash 3.2: test ${var+set}"),
            new Rule(Pattern.compile(IDENT + "\\[\\s*-\\s*[0-9]+\\s*\\]"),
                    "bash 4.3: negative array subscripts are not in bash 3.2: ${arr[${#arr[@]}-1]}"),
            new Rule(Pattern.compile("(?<![\\w-])printf\\s+-v\\s+" + IDENT + "\\["),
                    "bash 4: printf -v into an array element is not in bash 3.2"),
            new Rule(Pattern.compile("\\$\\{[@*]\\}"),
                    "bash 3.2 under set -u: ${@} and ${*} are unbound when there are no arguments: write \"$@\" or \"$*\""),
            new Rule(Pattern.compile("\\$\\{" + IDENT + INDEX + ":[^}:]*:\\s*-\\s*[0-9]"),
                    "bash 4.2: a negative length in ${var:offset:length} is not in bash 3.2"),
            new Rule(Pattern.compile("\\{-?[0-9]+\\.\\.-?[0-9]+\\.\\.-?[0-9]+\\}|\\{-?0[0-9]+\\.\\.-?[0-9]+\\}"),
                    "bash 4: brace sequences with a step or zero padding are not in bash 3.2"),
            new Rule(Pattern.compile("(?<![\\w-])wait\\s+-[a-zA-Z]*[nfp]"), "bash 4.3: wait -n/-f/-p is not in bash 3.2"),
            new Rule(Pattern.compile("(?<![\\w-])shopt\\s+-[a-zA-Z]*\\s+(?:[\\w ]+\\s)?(?:globstar|lastpipe|inherit_errexit|autocd"
                    + "|checkjobs|direxpand|dirspell|localvar_inherit|localvar_unset|assoc_expand_once|patsub_replacement"
                    + "|globasciiranges|compat[0-9]+)\\b"), "bash 4: this shopt option is not in bash 3.2"),
            new Rule(Pattern.compile("\\$\\{?(?:EPOCHSECONDS|EPOCHREALTIME|BASHPID|SRANDOM|BASH_ARGV0)\\b"),
                    "bash 4 or 5: this variable is not in bash 3.2"),
            new Rule(Pattern.compile("(?<![$\\w])\\{" + IDENT + "\\}(?:<>|>>|>|<)"),
                    "bash 4.1: {var}> file descriptors are not in bash 3.2"),
            new Rule(Pattern.compile("(?<![\\w-])read(?:\\s+-[a-zA-Z]+)*\\s+-t\\s*[0-9]*\\.[0-9]"),
                    "bash 4: a fractional read -t is not in bash 3.2"));

    /** Commands that are not there on macOS (or on bash 3.2): flagged wherever they are called. */
    private static final List<Tool> TOOLS = List.of(
            new Tool("mapfile", "bash 4: mapfile is not in bash 3.2: while IFS= read -r x; do arr+=(\"$x\"); done < <(...)"),
            new Tool("readarray", "bash 4: readarray is not in bash 3.2: while IFS= read -r x; do arr+=(\"$x\"); done < <(...)"),
            new Tool("coproc", "bash 4: coproc is not in bash 3.2"),
            new Tool("timeout", "GNU coreutils' timeout is not on macOS: use with_timeout (scripts/lib.sh)"),
            new Tool("getent", "glibc's getent is not on macOS: use resolves (scripts/lib.sh)"),
            new Tool("tac", "GNU tac is not on macOS: tail -r, or awk"),
            new Tool("nproc", "GNU nproc is not on macOS: getconf _NPROCESSORS_ONLN"),
            new Tool("sha1sum", "GNU sha1sum is not on macOS: shasum -a 1"),
            new Tool("sha224sum", "GNU sha224sum is not on macOS: shasum -a 224"),
            new Tool("sha256sum", "GNU sha256sum is not on macOS: shasum -a 256"),
            new Tool("sha384sum", "GNU sha384sum is not on macOS: shasum -a 384"),
            new Tool("sha512sum", "GNU sha512sum is not on macOS: shasum -a 512"),
            new Tool("md5sum", "GNU md5sum is not on macOS (md5 there)"),
            new Tool("b2sum", "GNU b2sum is not on macOS"),
            new Tool("setsid", "util-linux's setsid is not on macOS: guard it with command -v and fall back (scripts/local.sh)"),
            new Tool("realpath", "realpath is not on macOS before 13: use real_path (scripts/lib.sh)"),
            new Tool("stdbuf", "GNU stdbuf is not on macOS"),
            new Tool("flock", "util-linux's flock is not on macOS: mkdir as a lock"),
            new Tool("shuf", "GNU shuf is not on macOS"),
            new Tool("numfmt", "GNU numfmt is not on macOS"),
            new Tool("truncate", "GNU truncate is not on macOS"));

    /** GNU-only flags of tools both systems have (BSD's differ or are missing). */
    private static final List<Flag> FLAGS = List.of(
            new Flag("stat", opts("-[a-zA-Z]*[cf][a-zA-Z]*|--[a-z][\\w-]*"), false,
                    "stat's format flags differ (GNU -c, BSD -f): for a size, wc -c <file"),
            new Flag("sed", opts("-[a-zA-Z]*i|--in-place\\S*|-[a-zA-Z]*r[a-zA-Z]*|--[a-z][\\w-]*"), false,
                    "GNU sed flag: sed -i needs a suffix on BSD sed (sed -i.bak ..., then rm the .bak), -r is -E, no long options"),
            new Flag("readlink", opts("-[a-zA-Z]*[fem][a-zA-Z]*|--canonicalize\\S*"), false,
                    "readlink -f/-e/-m is GNU (macOS before 12.3 has none): use real_path (scripts/lib.sh)"),
            new Flag("date", Pattern.compile("%[-_0^#]?[0-9]*N|(?:^|\\s)(?:-d\\b|--date\\b|--iso\\S*|-I\\S*)"), true,
                    "GNU date: %N (nanoseconds), -d/--date and -I are not in BSD date"),
            new Flag("grep", opts("-[a-zA-Z]*P[a-zA-Z]*|--perl-regexp"), false,
                    "grep -P (Perl regular expressions) is GNU: use grep -E"),
            new Flag("find", opts("-f?printf|-fprint0?|-regextype|-newer[a-zA-Z]t"), false,
                    "GNU find: -printf, -fprint, -regextype are not in BSD find, and -newerXt reads dates differently"
                            + " (no @EPOCH): compare with -newer FILE"),
            new Flag("xargs", opts("-[a-zA-Z]*r[a-zA-Z]*|--no-run-if-empty|-d|--delimiter\\S*|-a|--arg-file\\S*"), false,
                    "GNU xargs flag (-r, -d, -a) is not in BSD xargs"),
            new Flag("head", Pattern.compile("-[nc]\\s*-[0-9]"), false,
                    "head with a negative count is GNU: sed '$d', or awk"),
            new Flag("base64", opts("-w[0-9]*|--wrap\\S*"), false, "base64 -w is GNU: pipe through tr -d '\\n'"),
            new Flag("ln", opts("-[a-zA-Z]*[rT][a-zA-Z]*|--relative|--no-target-directory"), false,
                    "ln -r/-T is GNU"),
            new Flag("printf", Pattern.compile("%\\([^)]*\\)T"), true, "bash 4.2: printf %(...)T is not in bash 3.2: date"),
            longOptions("cp"), longOptions("mv"), longOptions("rm"), longOptions("ls"), longOptions("mkdir"),
            longOptions("chmod"), longOptions("chown"), longOptions("touch"), longOptions("tail"), longOptions("cut"),
            longOptions("sort"), longOptions("uniq"), longOptions("wc"), longOptions("tr"), longOptions("mktemp"),
            longOptions("du"), longOptions("df"), longOptions("seq"), longOptions("basename"), longOptions("dirname"),
            longOptions("tee"), longOptions("ps"));

    private static Flag longOptions(String command) {
        return new Flag(command, opts("--[a-z][\\w-]*"), false,
                "GNU long option: the BSD " + command + " of macOS has none (use the short one both have)");
    }

    /** An option among the arguments: a word of its own. */
    private static Pattern opts(String alternatives) {
        return Pattern.compile("(?:^|\\s)(?:" + alternatives + ")(?=\\s|=|$)");
    }

    private static final Pattern PROC = Pattern.compile("(?<![\\w.-])/proc/");

    /** A command or tool name as a word of its own (not a part of with_timeout, --rollout-timeout, $timeout). */
    private static Pattern word(String name) {
        return Pattern.compile("(?<![\\w./=${}:-])" + Pattern.quote(name) + "(?![\\w./=:-])");
    }

    /** Where a command's arguments end: the next ; | & ) ` or newline of the code view. */
    private static int argsEnd(String code, int from) {
        for (int i = from; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c == ';' || c == '|' || c == '&' || c == ')' || c == '`' || c == '\n') {
                return i;
            }
        }
        return code.length();
    }

    // ---- empty arrays under set -u ---------------------------------------------------------------

    private static final Pattern EMPTY_ASSIGN = Pattern.compile("(?<![\\w-])(" + IDENT + ")=\\(\\s*\\)");
    private static final Pattern ARGS_ASSIGN = Pattern.compile(
            "(?<![\\w-])(" + IDENT + ")=\\(\\s*(?:\"\\$@\"|\"?\\$\\{" + IDENT + "\\[[@*]\\][^}]*\\}\"?|\\$\\(.*\\))\\s*\\)");
    private static final Pattern DECLARED_ARRAY = Pattern.compile(
            "(?<![\\w-])(?:declare|local|typeset)(?:\\s+-[a-zA-Z]+)*\\s+-[a-zA-Z]*a[a-zA-Z]*(?:\\s+-[a-zA-Z]+)*((?:\\s+"
                    + IDENT + "(?![=\\w]))+)");

    private static Set<String> possiblyEmptyArrays(List<Logical> lines) {
        Set<String> names = new LinkedHashSet<>();
        for (Logical l : lines) {
            for (Pattern p : List.of(EMPTY_ASSIGN, ARGS_ASSIGN)) {
                Matcher m = p.matcher(l.code);
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
            Matcher m = DECLARED_ARRAY.matcher(l.code);
            while (m.find()) {
                for (String n : m.group(1).trim().split("\\s+")) {
                    names.add(n);
                }
            }
        }
        return names;
    }

    private static void emptyArrays(String file, Logical l, Set<String> names, List<Finding> out) {
        for (String name : names) {
            Pattern all = Pattern.compile("\\$\\{" + Pattern.quote(name) + "\\[[@*]\\]");
            List<int[]> guards = new ArrayList<>();
            Matcher g = Pattern.compile("\\$\\{" + Pattern.quote(name) + "\\[[@*]\\]:?\\+").matcher(l.code);
            while (g.find()) {
                guards.add(new int[] {g.start(), closingBrace(l.code, g.start() + 1)});
            }
            Matcher m = all.matcher(l.code);
            while (m.find()) {
                int at = m.start();
                if (guards.stream().anyMatch(s -> at >= s[0] && at <= s[1])) {
                    continue;
                }
                out.add(l.finding(file, at, closingBrace(l.code, at + 1) + 1, "bash 3.2 under set -u: " + name
                        + " may be empty, and then \"${" + name + "[@]}\" is an unbound variable: write ${" + name
                        + "[@]+\"${" + name + "[@]}\"}"));
            }
        }
    }

    /** The index of the brace that closes the one at {@code open} (or the end of the line). */
    private static int closingBrace(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        return s.length() - 1;
    }

    // ---- reading the script ---------------------------------------------------------------------

    /** A command as bash reads it (continuation lines joined), in its two views, and the line of each character. */
    private record Logical(String code, String text, int[] lineOf) {
        Finding finding(String file, int start, int end, String why) {
            int s = Math.max(0, Math.min(start, text.length() - 1));
            int e = Math.max(s, Math.min(end, text.length()));
            return finding(file, start, text.substring(s, e), why);
        }

        Finding finding(String file, int start, String construct, String why) {
            int s = Math.max(0, Math.min(start, text.length() - 1));
            return new Finding(file, lineOf[s], construct.replaceAll("\\s+", " ").trim(), why);
        }
    }

    private static final class Lexer {
        private enum Kind { ROOT, CODE, BACKTICK, DQ, SQ, ANSI, PARAM, HEREDOC, HEREDOC_QUOTED }

        private static final class Ctx {
            final Kind kind;
            int depth;

            Ctx(Kind kind) {
                this.kind = kind;
            }
        }

        private record Heredoc(String delimiter, boolean quoted, boolean tabs) {
        }

        private static final Pattern HEREDOC_START = Pattern.compile(
                "<<(-?)[ \\t]*(?:'([^']+)'|\"([^\"]+)\"|\\\\?(" + IDENT + "))");

        private final List<Logical> out = new ArrayList<>();
        private StringBuilder code = new StringBuilder();
        private StringBuilder text = new StringBuilder();
        private List<Integer> lineOf = new ArrayList<>();
        private Deque<Ctx> stack = new ArrayDeque<>();
        private final List<Heredoc> pending = new ArrayList<>();
        private int line;

        static List<Logical> lex(String source) {
            Lexer lx = new Lexer();
            lx.stack.push(new Ctx(Kind.ROOT));
            String[] lines = source.split("\n", -1);
            int i = 0;
            while (i < lines.length) {
                lx.line = i + 1;
                boolean continued = lx.scan(lines[i]);
                i++;
                if (!continued && lx.stack.size() == 1) {
                    lx.flush();
                } else if (!continued) {
                    Kind k = lx.stack.peek().kind;
                    boolean inCode = k == Kind.CODE || k == Kind.BACKTICK || k == Kind.PARAM;
                    lx.emit(inCode ? '\n' : ' ', '\n');
                } else {
                    lx.emit(' ', ' ');
                }
                // here-documents: their lines follow the one that opened them, each read on its own
                while (!lx.pending.isEmpty()) {
                    Heredoc h = lx.pending.remove(0);
                    while (i < lines.length) {
                        String body = lines[i];
                        lx.line = ++i;
                        if ((h.tabs ? body.replaceFirst("^\\t+", "") : body).equals(h.delimiter)) {
                            break;
                        }
                        lx.heredocLine(body, h.quoted);
                    }
                }
            }
            lx.flush();
            return lx.out;
        }

        private void heredocLine(String body, boolean quoted) {
            StringBuilder c = code;
            StringBuilder t = text;
            List<Integer> l = lineOf;
            Deque<Ctx> s = stack;
            code = new StringBuilder();
            text = new StringBuilder();
            lineOf = new ArrayList<>();
            stack = new ArrayDeque<>();
            stack.push(new Ctx(quoted ? Kind.HEREDOC_QUOTED : Kind.HEREDOC));
            scan(body);
            flush();
            code = c;
            text = t;
            lineOf = l;
            stack = s;
        }

        private void flush() {
            if (code.length() > 0) {
                int[] lines = lineOf.stream().mapToInt(Integer::intValue).toArray();
                out.add(new Logical(code.toString(), text.toString(), lines));
            }
            code = new StringBuilder();
            text = new StringBuilder();
            lineOf = new ArrayList<>();
        }

        private void emit(char c, char t) {
            code.append(c);
            text.append(t);
            lineOf.add(line);
        }

        /** Reads one physical line; true when it ends with a continuation backslash. */
        private boolean scan(String s) {
            int i = 0;
            while (i < s.length()) {
                Ctx ctx = stack.peek();
                char c = s.charAt(i);
                char next = i + 1 < s.length() ? s.charAt(i + 1) : '\0';
                switch (ctx.kind) {
                    case SQ -> {
                        if (c == '\'') {
                            stack.pop();
                            emit(c, c);
                        } else {
                            emit(' ', c);
                        }
                        i++;
                    }
                    case HEREDOC_QUOTED -> {
                        emit(' ', ' ');
                        i++;
                    }
                    case ANSI -> {
                        if (c == '\\' && next != '\0') {
                            emit(' ', c);
                            emit(' ', next);
                            i += 2;
                        } else {
                            if (c == '\'') {
                                stack.pop();
                                emit(c, c);
                            } else {
                                emit(' ', c);
                            }
                            i++;
                        }
                    }
                    case DQ, HEREDOC -> {
                        boolean heredoc = ctx.kind == Kind.HEREDOC;
                        if (c == '\\') {
                            if (next == '\0') {
                                return !heredoc; // "...\<newline>...": the string goes on, without the newline
                            }
                            emit(' ', heredoc ? ' ' : c);
                            emit(' ', heredoc ? ' ' : next);
                            i += 2;
                        } else if (c == '"' && !heredoc) {
                            stack.pop();
                            emit(c, c);
                            i++;
                        } else if (opensExpansion(s, i)) {
                            i = open(s, i);
                        } else {
                            emit(' ', heredoc ? ' ' : c);
                            i++;
                        }
                    }
                    case PARAM -> {
                        if (c == '\\' && next != '\0') {
                            emit(c, c);
                            emit(next, next);
                            i += 2;
                        } else if (c == '}' && ctx.depth == 0) {
                            stack.pop();
                            emit(c, c);
                            i++;
                        } else if (opensExpansion(s, i) || c == '"' || c == '\'') {
                            i = open(s, i);
                        } else {
                            if (c == '{') {
                                ctx.depth++;
                            } else if (c == '}') {
                                ctx.depth--;
                            }
                            emit(c, c);
                            i++;
                        }
                    }
                    case ROOT, CODE, BACKTICK -> {
                        if (c == '\\') {
                            if (next == '\0') {
                                return true;
                            }
                            emit(' ', c);
                            emit(' ', next);
                            i += 2;
                        } else if (c == '#' && (i == 0 || " \t;&|()".indexOf(s.charAt(i - 1)) >= 0)) {
                            return false; // a comment, to the end of the line
                        } else if (c == '`' && ctx.kind == Kind.BACKTICK) {
                            stack.pop();
                            emit(c, c);
                            i++;
                        } else if (c == '<' && next == '<' && !(i + 2 < s.length() && s.charAt(i + 2) == '<')
                                && (i == 0 || s.charAt(i - 1) != '<')) {
                            Matcher m = HEREDOC_START.matcher(s).region(i, s.length());
                            if (m.lookingAt()) {
                                String delimiter = m.group(2) != null ? m.group(2)
                                        : m.group(3) != null ? m.group(3) : m.group(4);
                                boolean quoted = m.group(4) == null || s.charAt(m.start(4) - 1) == '\\';
                                pending.add(new Heredoc(delimiter, quoted, !m.group(1).isEmpty()));
                            }
                            emit(c, c);
                            emit(next, next);
                            i += 2;
                        } else if (opensExpansion(s, i) || c == '"' || c == '\'') {
                            i = open(s, i);
                        } else {
                            if (ctx.kind == Kind.CODE) {
                                if (c == '(') {
                                    ctx.depth++;
                                } else if (c == ')') {
                                    if (ctx.depth == 0) {
                                        stack.pop();
                                    } else {
                                        ctx.depth--;
                                    }
                                }
                            }
                            emit(c, c);
                            i++;
                        }
                    }
                    default -> throw new IllegalStateException(ctx.kind.name());
                }
            }
            return false;
        }

        private static boolean opensExpansion(String s, int i) {
            char c = s.charAt(i);
            char next = i + 1 < s.length() ? s.charAt(i + 1) : '\0';
            return c == '`' || c == '$' && (next == '(' || next == '{' || next == '\'');
        }

        /** Opens the quote or expansion at {@code i}; returns the index after its opening characters. */
        private int open(String s, int i) {
            char c = s.charAt(i);
            Kind in = stack.peek().kind;
            if (c == '`') {
                stack.push(new Ctx(Kind.BACKTICK));
                emit(c, c);
                return i + 1;
            }
            if (c == '"') {
                stack.push(new Ctx(Kind.DQ));
                emit(c, c);
                return i + 1;
            }
            if (c == '\'') {
                // inside "${...}" a single quote is an ordinary character
                if (in == Kind.PARAM && stack.size() > 1 && insideDoubleQuotes()) {
                    emit(c, c);
                    return i + 1;
                }
                stack.push(new Ctx(Kind.SQ));
                emit(c, c);
                return i + 1;
            }
            char next = s.charAt(i + 1);
            if (next == '\'') {
                if (in == Kind.DQ || in == Kind.HEREDOC) { // $' has no meaning inside double quotes
                    emit(' ', in == Kind.HEREDOC ? ' ' : c);
                    return i + 1;
                }
                stack.push(new Ctx(Kind.ANSI));
            } else {
                stack.push(new Ctx(next == '(' ? Kind.CODE : Kind.PARAM));
            }
            emit(c, c);
            emit(next, next);
            return i + 2;
        }

        private boolean insideDoubleQuotes() {
            for (Ctx ctx : stack) {
                if (ctx.kind == Kind.DQ || ctx.kind == Kind.HEREDOC) {
                    return true;
                }
                if (ctx.kind != Kind.PARAM) {
                    return false;
                }
            }
            return false;
        }
    }
}
